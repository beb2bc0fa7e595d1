// The message plumbing every Worker of dni needs. `workerInbox()` must run before the Worker's first `await`:
// it sets `onmessage` at once and buffers messages until `start(handle)` is called, so none is dropped while the
// Worker loads TF.js.

/** A typed `postMessage` (buffers are transferred) and `start`, which delivers buffered and later messages. */
export interface WorkerInbox<In, Out> {
  post: (message: Out, buffers?: ArrayBufferLike[]) => void;
  start: (handle: (message: In) => void) => void;
}

/** Sets the Worker's `onmessage` now and returns its inbox. */
export function workerInbox<In, Out>(): WorkerInbox<In, Out> {
  const inbox: In[] = [];
  let deliver: ((m: In) => void) | null = null;
  // A Worker's global scope, typed as much as needed here.
  const scope = self as unknown as {
    onmessage: (e: MessageEvent<In>) => void;
    postMessage: (m: Out, options: { transfer: Transferable[] }) => void;
  };
  scope.onmessage = (e) => deliver ? deliver(e.data) : inbox.push(e.data);
  return {
    post: (m, buffers = []) => scope.postMessage(m, { transfer: buffers as Transferable[] }),
    start(handle) {
      deliver = handle;
      for (const m of inbox.splice(0)) handle(m);
    },
  };
}
