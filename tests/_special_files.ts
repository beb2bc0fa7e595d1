// Test helpers for files that are not regular files (a FIFO, a link to a device) and for bounding how long a test
// may wait on one, so that a regression that blocks on a FIFO fails the test instead of hanging the run.

/** Makes a FIFO (named pipe) at `path`, with `mkfifo`. */
export async function mkfifo(path: string): Promise<void> {
  const { success, stderr } = await new Deno.Command("mkfifo", { args: [path], stderr: "piped" }).output();
  if (!success) throw new Error(`mkfifo ${path} failed: ${new TextDecoder().decode(stderr).trim()}`);
}

/**
 * Resolves as `promise` does, or rejects once `seconds` have passed. A read that blocked on a FIFO is left behind
 * (it cannot be cancelled): the test fails, with this message, instead of waiting forever.
 */
export async function withinSeconds<T>(seconds: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not settled within ${seconds} s (blocked on a special file?)`)),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Makes a sparse file of `bytes` bytes at `path` (it takes no disk space, and reads as zeros). */
export async function sparseFile(path: string, bytes: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  await file.truncate(bytes);
}
