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

/**
 * The subjects of run `run`, control apart from data and each direction apart, so that server permissions can give
 * each role only its part (see docs/hosts.md):
 * - `ctl.*`, the coordinator's only: `ctl.join` (claiming an idle stage process), `ctl.stage.K` (init and collect for
 *   stage K), `ctl.alive` (its beat), `ctl.end` (the run is over), `ctl.owner` (it answers: the run is in use);
 * - `fwd.K`: into stage K, batches (K = 0, from the coordinator) or the activations of stage K-1;
 * - `back.K`: into stage K, the messages of stage K+1;
 * - `report.K`, `beat.K`: stage K to the coordinator;
 * - `inbox`: the prefix of the replies to requests.
 */
export function subjects(run: string) {
  const base = `dni.${run}`;
  return {
    join: `${base}.ctl.join`,
    owner: `${base}.ctl.owner`,
    control: (k: number) => `${base}.ctl.stage.${k}`,
    alive: `${base}.ctl.alive`,
    end: `${base}.ctl.end`,
    forward: (k: number) => `${base}.fwd.${k}`,
    back: (k: number) => `${base}.back.${k}`,
    report: (k: number) => `${base}.report.${k}`,
    reportAll: `${base}.report.*`,
    beat: (k: number) => `${base}.beat.${k}`,
    beatAll: `${base}.beat.*`,
    inbox: `${base}.inbox`,
  };
}

/** The stage index that ends `subject` (`dni.RUN.report.3` -> 3), or undefined. */
export function subjectIndex(subject: string): number | undefined {
  const tail = subject.slice(subject.lastIndexOf(".") + 1);
  return /^(0|[1-9][0-9]{0,4})$/.test(tail) ? Number(tail) : undefined;
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
