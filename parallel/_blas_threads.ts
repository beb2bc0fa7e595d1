// Private: one BLAS thread per Worker while a Worker strategy runs. The native backend's BLAS library (OpenBLAS)
// keeps its thread count per process, and Deno Workers are threads of one process: N Workers each asking for all
// the cores would put N times too many threads on them (on 2 cores a 2-Worker pipeline ran slower than one
// thread). So a Worker strategy sets the count to 1 when it starts and puts the previous count back when it
// stops, however it stops; overlapping runs share one hold, and the count comes back when the last one stops.
import { setBlasThreads } from "../backend.ts";
import { nativeBlas } from "../native/backend.ts";

let holds = 0;
let previous: number | undefined;

/**
 * Sets the BLAS library to one thread until the returned function is called (which is safe to call more than
 * once). Nothing happens without a BLAS library or where it does not say its thread count.
 */
export function holdOneBlasThread(): () => void {
  const blas = nativeBlas();
  if ("reason" in blas) return () => {};
  if (holds === 0) {
    previous = blas.threads();
    if (previous !== undefined && previous !== 1) setBlasThreads(1);
  }
  holds++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds--;
    if (holds === 0 && previous !== undefined && previous !== 1) setBlasThreads(previous);
  };
}
