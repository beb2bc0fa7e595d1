/**
 * `cli.ts reproduce CONFIG`: runs a reproduction table (reproduce/config.ts) one run at a time, or `--parallel N`
 * runs at a time as processes of one thread each; Ctrl-C stops it with every run in flight saved, and the same
 * command goes on where it stopped.
 *
 * @module
 */
import { parseTableConfig, type TableConfig, TableConfigError } from "../reproduce/config.ts";
import { reproduceTable, type TableRun, tableRuns } from "../reproduce/table.ts";
import { TimeLeft } from "../reproduce/time_left.ts";
import { runState } from "../reproduce/run.ts";
import { reportMarkdown } from "../report/markdown.ts";
import { readRegularTextFile } from "../_files.ts";
import { intFlag, parseFlags, UsageError } from "./args.ts";
import { applyBackendFlags, BACKEND_OPTIONS, BACKEND_USAGE, backendFlags } from "./backend_flags.ts";
import { EXIT_CODES, listenForInterrupt } from "./interrupt.ts";
import { PLUGIN_OPTION, PLUGIN_USAGE, pluginFlag, pluginRegistries } from "./plugins.ts";

/** The usage text of `reproduce`. */
export const REPRODUCE_USAGE = `Usage: deno task reproduce CONFIG [options]

Runs the table of CONFIG (a JSON file: its rows, seeds and budgets; see docs/reproduction.md) one run (a row with one
seed) at a time, each checkpointed as it trains; when every run is done, writes the report (report.md, report.json,
curves) with each row's mean, standard deviation and range over the seeds. Ctrl-C saves the runs in flight; the same
command goes on where they stopped.

  --out DIR               the table's folder (default reports/reproduce/NAME, NAME from the config)
  --parallel N            runs at a time, each a process on one thread (default 1: in this process)
  --only K                only the K-th run (0-based, seed-major), no report (what --parallel's processes run)
${BACKEND_USAGE}
  --json                  print the report as one JSON object, the last line of stdout
${PLUGIN_USAGE}`;

const CHILD_ENV = "DNI_REPRODUCE_CHILD";
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env", "--allow-ffi", "--allow-run", "--allow-sys"];

type Io = { out: (s: string) => void; err: (s: string) => void };

/** `reproduce` as a CLI command; resolves to the exit status (130/143 when a signal stopped it). */
export async function reproduceCommand(args: string[], io: Io): Promise<number> {
  const positional = args[0] !== undefined && !args[0].startsWith("-");
  const file = positional ? args[0] : undefined, rest = positional ? args.slice(1) : args;
  const values = parseFlags(rest, {
    out: { type: "string" },
    parallel: { type: "string" },
    only: { type: "string" },
    ...BACKEND_OPTIONS,
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...PLUGIN_OPTION,
  }, "reproduce");
  if (values.help) {
    io.out(REPRODUCE_USAGE + "\n");
    return 0;
  }
  if (file === undefined) throw new UsageError("reproduce needs a table config: deno task reproduce CONFIG");
  const table = await readTable(file);
  const out = typeof values.out === "string" ? values.out : `reports/reproduce/${table.name}`;
  const parallel = intFlag(values, "parallel", 1, 1);
  const only = values.only === undefined ? undefined : intFlag(values, "only", 0, 0);
  const total = tableRuns(table, out).length;
  if (only !== undefined && only >= total) {
    throw new UsageError(`--only must be below ${total} (the runs), got ${only}`);
  }
  const log = values.json ? io.err : io.out;
  log(await applyBackendFlags(backendFlags(values)) + "\n");
  const plugins = pluginFlag(values);
  const registries = await pluginRegistries(plugins);
  if (parallel > 1 && only === undefined) {
    const stopped = await runProcesses(file, table, out, parallel, [...rest], log);
    if (stopped !== undefined) return EXIT_CODES[stopped];
  }
  // A process of --parallel: the terminal's Ctrl-C reaches the whole group; this one stops when its parent sends
  // SIGTERM (after the batch in flight, saved), not at the terminal's signal (a second signal would exit unsaved).
  const child = Deno.env.get(CHILD_ENV) === "1";
  const ignore = () => {};
  if (child) Deno.addSignalListener("SIGINT", ignore);
  const interrupt = listenForInterrupt(child ? { signals: ["SIGTERM"] } : {});
  try {
    const outcome = await reproduceTable(table, {
      out,
      registries,
      signal: interrupt.signal,
      ...(only === undefined ? {} : { only }),
      onProgress: (line) => log(line + "\n"),
    });
    if (outcome.stopped !== undefined) {
      const { run, epoch, batch } = outcome.stopped;
      log(
        `interrupted: ${run.row.name}, seed ${run.seed} saved at epoch ${epoch}, batch ${batch} ` +
          `(${outcome.done} of ${outcome.total} runs done); the same command goes on from there\n`,
      );
      return EXIT_CODES[interrupt.received ?? "SIGINT"];
    }
    if (outcome.report !== undefined) {
      log(`\n${reportMarkdown(outcome.report)}\n`);
      if (values.json) io.out(JSON.stringify(outcome.report) + "\n");
    }
    return 0;
  } finally {
    interrupt.dispose();
    if (child) Deno.removeSignalListener("SIGINT", ignore);
  }
}

async function readTable(file: string): Promise<TableConfig> {
  const text = await readRegularTextFile(file, {
    what: "a reproduction config",
    maxBytes: 1 << 20,
    fail: (problem) => new TableConfigError(file, problem),
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TableConfigError(file, `is not valid JSON (${(e as Error).message})`);
  }
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : ".";
  return parseTableConfig(value, file, dir);
}

// Runs the table's runs that are not done, `parallel` at a time, each as `reproduce CONFIG --only K` on one thread;
// resolves to the signal that stopped it (the processes in flight saved), or undefined when all are done.
async function runProcesses(
  file: string,
  table: TableConfig,
  out: string,
  parallel: number,
  flags: string[],
  log: (s: string) => void,
): Promise<"SIGINT" | "SIGTERM" | undefined> {
  const runs = tableRuns(table, out);
  const pending: number[] = [], clock = new TimeLeft(runs);
  for (const [k, run] of runs.entries()) {
    if (await runState(run.dir) !== "done") pending.push(k);
    else clock.skip(run);
  }
  let stop: "SIGINT" | "SIGTERM" | undefined, failure: Error | undefined;
  const children = new Set<Deno.ChildProcess>();
  const onSignal = (name: "SIGINT" | "SIGTERM") => () => {
    stop ??= name;
    for (const child of children) child.kill("SIGTERM");
  };
  const handlers = (["SIGINT", "SIGTERM"] as const).map((name) => [name, onSignal(name)] as const);
  for (const [name, handler] of handlers) Deno.addSignalListener(name, handler);
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const one = async (k: number) => {
    const run: TableRun = runs[k]!;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...PERMISSIONS,
        cli,
        "reproduce",
        file,
        ...without(flags, "--parallel"),
        "--out",
        out,
        "--only",
        String(k),
        "--threads",
        "1",
      ],
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1", [CHILD_ENV]: "1" },
    }).spawn();
    children.add(child);
    log(`${clock.line()}: started ${run.row.name}, seed ${run.seed} (process ${child.pid})\n`);
    const [status, err] = await Promise.all([child.status, new Response(child.stderr).text()]);
    children.delete(child);
    if (status.success) {
      clock.epochs(run.epochs);
      clock.finish();
      log(`${clock.line()}: ${run.row.name}, seed ${run.seed} done\n`);
    } else if (stop === undefined && failure === undefined) {
      // stop the others (they save), then fail with this run's own last line
      failure = new Error(
        `run ${k} (${run.row.name}, seed ${run.seed}) failed: ${err.trim().split("\n").at(-1) || status.code}`,
      );
      for (const other of children) other.kill("SIGTERM");
    }
  };
  try {
    const queue = [...pending];
    const worker = async () => {
      while (queue.length > 0 && stop === undefined && failure === undefined) await one(queue.shift()!);
    };
    await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, worker));
  } finally {
    for (const [name, handler] of handlers) Deno.removeSignalListener(name, handler);
  }
  if (failure !== undefined) throw failure;
  if (stop !== undefined) {
    log(
      `interrupted: ${clock.runsDone} of ${runs.length} runs done, the runs in flight saved; the same command goes on\n`,
    );
  }
  return stop;
}

// `flags` without `--name VALUE` / `--name=VALUE`.
function without(flags: string[], name: string): string[] {
  return flags.filter((f, i) => !(f === name || f.startsWith(`${name}=`) || flags[i - 1] === name));
}
