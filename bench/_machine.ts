// Private: what a benchmark says about the machine it ran on: the load from other processes and the CPU's model.
import os from "node:os";

/** The 1-minute load average (other processes compete for the cores), or undefined where it cannot be read. */
export function loadAverage(): number | undefined {
  try {
    return Deno.loadavg()[0];
  } catch {
    return undefined;
  }
}

/** The CPU's model name, or why it is unknown. */
export function cpuModel(): string {
  try {
    return os.cpus()[0]?.model ?? "unknown CPU";
  } catch {
    return "unknown CPU (run with --allow-sys to name it)";
  }
}
