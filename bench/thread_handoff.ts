// What splitting one elementwise kernel across the two cores could give, and what the hand-off costs: ReLU in place
// over n floats on one thread against the same split in halves with a Worker on a SharedArrayBuffer (Atomics.notify
// to start it, a spin on a shared flag for its end), 2,000 calls each; n = 0 is the hand-off alone. The loops are
// plain JS, slower than the SIMD kernels, so only the hand-off row carries over to them. The measurement behind
// docs/backends.md's "Elementwise kernels on two threads" (why dni does not split them).
//   deno run --allow-read bench/thread_handoff.ts
const shared = new SharedArrayBuffer(16 + 4 * (1 << 21));
const flag = new Int32Array(shared, 0, 4), values = new Float32Array(shared, 16);
for (let i = 0; i < values.length; i++) values[i] = Math.sin(i);
const worker = new Worker(new URL("./_handoff_worker.ts", import.meta.url), { type: "module" });
worker.postMessage({ shared });
await new Promise((resolve) => setTimeout(resolve, 300));

function relu(from: number, to: number): void {
  for (let i = from; i < to; i++) values[i] = values[i]! > 0 ? values[i]! : 0;
}
function oneThread(n: number): void { // a function of its own, so that V8 optimizes each path apart
  for (let i = 0; i < n; i++) values[i] = values[i]! > 0 ? values[i]! : 0;
}
function twoThreads(n: number): void {
  flag[1] = n;
  Atomics.store(flag, 2, 0);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  relu(0, n >> 1);
  while (Atomics.load(flag, 2) === 0) { /* spin: the other half */ }
}
const timed = (f: () => void, calls: number) => {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) f();
  return 1000 * (performance.now() - t0) / calls;
};
console.log("floats | one thread, us per call | two threads, us per call (hand-off included) | one ÷ two");
for (const n of [0, 1024, 32_768, 131_072, 1_605_632]) {
  const calls = n > 200_000 ? 200 : 2000;
  timed(() => twoThreads(n), 100), timed(() => oneThread(n), 100);
  const one = timed(() => oneThread(n), calls), two = timed(() => twoThreads(n), calls);
  console.log(`${n} | ${one.toFixed(1)} | ${two.toFixed(1)} | ${(one / two).toFixed(2)}x`);
}
Atomics.store(flag, 0, 2);
Atomics.notify(flag, 0);
