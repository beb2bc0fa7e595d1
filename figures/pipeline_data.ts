/**
 * The data of figure (b): real 2-Worker pipeline runs of MNIST FCN-3 `csg` (2 stages on this machine's 2 cores,
 * 48 batches of 128 an epoch, 2 epochs, the second profiled) at staleness 0 and 1, with the stages' profile
 * (`pipeline({ onProfile })`: each stage's milliseconds per batch by part), and from it a replay of the timeline
 * (`_replay.ts`): each stage's spells of work, per batch. The profile gives each stage's time per batch, not each
 * batch's; the replay places the profile's mean times by the stage loop's rule, and its milliseconds per batch are
 * set beside the measured ones. Stage 0's compute is split between its forward and the message from above in the
 * proportion measured on one thread (`profileModules`).
 *
 * @module
 */
import { batches, buildNetwork, loadDataset, pipeline, type PipelineProfile, train } from "../mod.ts";
import { profileModules, stagesFromProfile } from "../parallel/simulate/profile_modules.ts";
import { round } from "./_io.ts";
import { replayPipeline, type ReplayStage, type Spell } from "./_replay.ts";
import { fcn3 } from "./cosine_data.ts";

/** One staleness: the measured profile and the replay. */
export interface PipelineRun {
  staleness: number;
  /** Measured wall-clock milliseconds per batch. */
  measuredMsPerBatch: number;
  /** The replay's milliseconds per batch. */
  replayMsPerBatch: number;
  /** Per stage, measured ms per batch: busy (everything but waiting) and waiting (idle, transit included). */
  stages: { lo: number; hi: number; busyMs: number; waitingMs: number; times: Record<string, number> }[];
  /** The replay's stage costs. */
  replay: ReplayStage[];
  /** The replay's first spells (the batches drawn). */
  spells: Spell[];
}

/** What figure (b) drew. */
export interface PipelineData {
  spec: string;
  batchesPerEpoch: number;
  wakeMs: number;
  /** Stage 0's share of its compute that is its forward (the rest: the message from above), on one thread. */
  forwardShare: number;
  runs: PipelineRun[];
}

const BUSY = ["compute", "tensors", "copies", "messaging", "other"] as const;

/** Runs the pipeline at each staleness and replays its timeline; `shown` batches of spells are kept. */
export async function pipelineRuns({ staleness = [0, 1], batchesPerEpoch = 48, shown = 8, wakeMs = 0.15 } = {}) {
  const data = await loadDataset("mnist", { trainCount: 128 * batchesPerEpoch, testCount: 100 });
  const probe = buildNetwork(fcn3("csg"), { seed: 1 });
  const [first] = stagesFromProfile(probe, profileModules(probe, batches(data.train, 784, 128, 2)), 2);
  probe.dispose();
  const forwardShare = first!.forwardMs / (first!.forwardMs + (first!.messageMs ?? 0));
  const runs: PipelineRun[] = [];
  for (const s of staleness) {
    const net = buildNetwork(fcn3("csg"), { seed: 1 });
    const profiles: PipelineProfile[] = [];
    const strategy = pipeline({ workers: 2, staleness: s, onProfile: (p) => profiles.push(p) });
    await train(net, data, { epochs: 2, batchSize: 128, seed: 1, validate: false, strategy });
    net.dispose();
    const p = profiles.at(-1)!;
    const replay = p.stages.map((st, k): ReplayStage => {
      const share = k === p.stages.length - 1 ? 1 : forwardShare;
      return {
        forwardMs: round(st.ms.tensors + st.ms.copies + st.ms.compute * share),
        tailMs: round(st.ms.messaging + st.ms.other),
        messageMs: round(st.ms.compute * (1 - share)),
      };
    });
    const { spells, totalMs } = replayPipeline(replay, { batches: p.batches, staleness: s, wakeMs });
    runs.push({
      staleness: s,
      measuredMsPerBatch: round(p.msPerBatch),
      replayMsPerBatch: round(totalMs / p.batches),
      stages: p.stages.map((st) => ({
        lo: st.lo,
        hi: st.hi,
        busyMs: round(BUSY.reduce((ms, part) => ms + st.ms[part], 0)),
        waitingMs: round(st.ms.waiting + st.ms.transit),
        times: Object.fromEntries(Object.entries(st.ms).map(([k, v]) => [k, round(v)])),
      })),
      replay,
      spells: spells.filter((sp) => sp.batch < shown).map((sp) => ({
        ...sp,
        start: round(sp.start),
        end: round(sp.end),
      })),
    });
    console.error(
      `(b) staleness ${s}: ${round(p.msPerBatch)} ms per batch measured, ${round(totalMs / p.batches)} replayed`,
    );
  }
  return { spec: "FCN-3 784-256-256-256-10 csg", batchesPerEpoch, wakeMs, forwardShare: round(forwardShare), runs };
}
