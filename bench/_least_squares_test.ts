import assert from "node:assert/strict";
import { choleskySolve, NormalEquations } from "./_least_squares.ts";

// A seeded stream of numbers in [-1, 1).
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

Deno.test("choleskySolve() solves a small SPD system", () => {
  const x = choleskySolve(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2, 1);
  // [4 2; 2 3] [x0; x1] = [2; 1]: x = [0.5, 0]
  assert.ok(Math.abs(x[0]! - 0.5) < 1e-12 && Math.abs(x[1]!) < 1e-12, `got ${x}`);
  assert.throws(() => choleskySolve(Float64Array.from([1, 2, 2, 1]), new Float64Array(2), 2, 1), RangeError);
});

Deno.test("NormalEquations recovers a known linear map, on all columns and on a subset", () => {
  const [d, m, n] = [6, 3, 200];
  const next = uniform(7);
  const truth = Float64Array.from({ length: d * m }, next);
  for (let j = 0; j < m; j++) truth[3 * m + j] = 0; // column 3 is not used by Y
  const equations = new NormalEquations(d, m);
  for (let block = 0; block < 4; block++) { // in blocks, as the bench adds them
    const rows = n / 4;
    const x = Float64Array.from({ length: rows * d }, next);
    const y = new Float64Array(rows * m);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < m; j++) {
        for (let i = 0; i < d; i++) y[r * m + j]! += x[r * d + i]! * truth[i * m + j]!;
      }
    }
    equations.add(x, y, rows);
  }
  assert.equal(equations.rows, n);
  const all = equations.solve(1e-12);
  all.forEach((v, i) => assert.ok(Math.abs(v - truth[i]!) < 1e-8, `A[${i}] = ${v}, want ${truth[i]}`));
  const columns = [0, 1, 2, 4, 5];
  const subset = equations.solve(1e-12, columns);
  columns.forEach((c, p) => {
    for (let j = 0; j < m; j++) assert.ok(Math.abs(subset[p * m + j]! - truth[c * m + j]!) < 1e-8);
  });
  // A large ridge shrinks the map towards zero.
  const shrunk = equations.solve(10);
  const norm = (a: Float64Array) => Math.hypot(...a);
  assert.ok(norm(shrunk) < 0.5 * norm(truth));
});
