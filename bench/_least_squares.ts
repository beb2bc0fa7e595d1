// Ridge least squares in Float64, plain JavaScript, for small widths (a few hundred inputs): the normal equations
// X^T X and X^T Y are accumulated block of rows by block of rows (the rows themselves are never kept), then
// (X^T X + lambda I) A = X^T Y is solved by Cholesky. Used by synthesizer_ceiling.ts.

/** The normal equations of Y ~ X A, accumulated over blocks of rows. */
export class NormalEquations {
  /** X^T X, [inputs, inputs] row-major (only its upper triangle is accumulated; `solve` reads that). */
  readonly xtx: Float64Array;
  /** X^T Y, [inputs, outputs] row-major. */
  readonly xty: Float64Array;
  /** Rows added so far. */
  rows = 0;

  constructor(readonly inputs: number, readonly outputs: number) {
    this.xtx = new Float64Array(inputs * inputs);
    this.xty = new Float64Array(inputs * outputs);
  }

  /** Adds `n` rows: `x` [n, inputs] and `y` [n, outputs], row-major. */
  add(x: ArrayLike<number>, y: ArrayLike<number>, n: number): void {
    const { inputs: d, outputs: m, xtx, xty } = this;
    for (let r = 0; r < n; r++) {
      const xr = r * d, yr = r * m;
      for (let i = 0; i < d; i++) {
        const xi = x[xr + i]!;
        if (xi === 0) continue; // ReLU features are mostly zeros, one-hot labels too
        const row = i * d;
        for (let j = i; j < d; j++) xtx[row + j]! += xi * x[xr + j]!;
        const out = i * m;
        for (let j = 0; j < m; j++) xty[out + j]! += xi * y[yr + j]!;
      }
    }
    this.rows += n;
  }

  /**
   * The ridge solution on the input columns `columns` (all by default): A [columns.length, outputs] minimising
   * |Y - X_c A|^2 + lambda |A|^2, with lambda = `ridge` x trace(X_c^T X_c) / columns.length.
   */
  solve(ridge = 1e-3, columns: readonly number[] = [...Array(this.inputs).keys()]): Float64Array {
    const { inputs: d, outputs: m } = this;
    const k = columns.length;
    const a = new Float64Array(k * k);
    const b = new Float64Array(k * m);
    let trace = 0;
    for (let p = 0; p < k; p++) {
      const i = columns[p]!;
      for (let q = 0; q < k; q++) {
        const j = columns[q]!;
        a[p * k + q] = i <= j ? this.xtx[i * d + j]! : this.xtx[j * d + i]!;
      }
      trace += a[p * k + p]!;
      b.set(this.xty.subarray(i * m, (i + 1) * m), p * m);
    }
    const lambda = ridge * trace / k || 1e-12;
    for (let p = 0; p < k; p++) a[p * k + p]! += lambda;
    return choleskySolve(a, b, k, m);
  }
}

/**
 * Solves A X = B for a symmetric positive definite A [n, n] and B [n, m] (row-major) by Cholesky, A = L L^T.
 *
 * @throws {RangeError} If A is not positive definite.
 */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number, m: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new RangeError(`choleskySolve: the matrix is not positive definite (pivot ${i}: ${s})`);
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j]!;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) { // L Z = B
    for (let k = 0; k < i; k++) {
      const lik = l[i * n + k]!;
      for (let c = 0; c < m; c++) x[i * m + c]! -= lik * x[k * m + c]!;
    }
    for (let c = 0; c < m; c++) x[i * m + c]! /= l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) { // L^T X = Z
    for (let k = i + 1; k < n; k++) {
      const lki = l[k * n + i]!;
      for (let c = 0; c < m; c++) x[i * m + c]! -= lki * x[k * m + c]!;
    }
    for (let c = 0; c < m; c++) x[i * m + c]! /= l[i * n + i]!;
  }
  return x;
}
