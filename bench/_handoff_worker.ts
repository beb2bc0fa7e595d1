// The second thread of bench/thread_handoff.ts: waits on the shared flag, runs ReLU in place on the upper half of the
// shared values, says it is done. Not a module of the library.
self.onmessage = (e: MessageEvent<{ shared: SharedArrayBuffer }>) => {
  const flag = new Int32Array(e.data.shared, 0, 4), values = new Float32Array(e.data.shared, 16);
  for (;;) {
    Atomics.wait(flag, 0, 0);
    if (Atomics.load(flag, 0) === 2) break;
    const n = flag[1]!;
    for (let i = n >> 1; i < n; i++) values[i] = values[i]! > 0 ? values[i]! : 0;
    Atomics.store(flag, 0, 0);
    Atomics.store(flag, 2, 1);
  }
  self.close();
};
