// Private: the names of a run over NATS (its subjects), its errors, and a URL fit to print; no client needed.

/** A NATS transport problem of the run as a whole (the server, claiming stage processes); one line. */
export class NatsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NatsError";
  }
}

/** A run's name: it is part of every subject, so letters, digits, `_` and `-` only. */
export function checkRunName(run: string): string {
  if (typeof run !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(run)) {
    throw new RangeError(
      `A NATS run name must be 1-64 letters, digits, "_" or "-" (it is part of the subjects), got ${
        JSON.stringify(run)
      }`,
    );
  }
  return run;
}

/** The subjects of run `run`: what stage `k` hears, what it says to the coordinator, beats, joining, the end. */
export function subjects(run: string) {
  const base = `dni.${run}`;
  return {
    join: `${base}.join`,
    stage: (k: number) => `${base}.stage.${k}`,
    coordinator: (k: number) => `${base}.coord.${k}`,
    coordinatorAll: `${base}.coord.*`,
    beat: (k: number) => `${base}.beat.${k}`,
    beatAll: `${base}.beat.*`,
    coordinatorBeat: `${base}.alive`,
    end: `${base}.end`,
  };
}

/** `url` with its password (or token) replaced by `***`, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    else if (u.username) u.username = "***";
    return u.href.replace(/\/$/, "");
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}
