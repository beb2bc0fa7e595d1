/// <reference lib="dom" />
/**
 * The playground's browser entry: the library's own modules (bundled by `playground/bundle.ts`, with
 * `playground/deps_browser.ts` as the host's edge), training a small MLP on a slice of MNIST parsed in the browser
 * from the `.gz` IDX files the project ships. The configuration lives in the query string (see `Config`).
 *
 * What the page draws comes from what the library does: the timeline records each call the library makes into the
 * layers, the interfaces, the loss and the optimizers during a training step (`Network.trainRange`, whose
 * `onGradients` hands over each layer's update), and the cosines are `probeGradients`' on a probe batch.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { buildNetwork } from "../network/build.ts";
import type { Network } from "../network/network.ts";
import { probeGradients } from "../network/probe.ts";
import { evaluate } from "../training/evaluate.ts";
import { readIdx } from "../datasets/idx.ts";
import { batches, type Split } from "../datasets/dataset.ts";
import { batchTensors } from "../datasets/batch_tensors.ts";
import { startedBackend } from "../deps.ts";
import type { LayerSpec } from "../network/spec.ts";
import { type Config, configUrl, INTERFACES, readConfig } from "./config.ts";
import { type Span, spanColors, stepLine, type StepRecord, unlockedLayers } from "./timeline.ts";
import { drawLines, drawTimeline } from "./draw.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const statusEl = $<HTMLElement>("status");

interface Point {
  step: number;
  value: number;
}

/** What the charts show: filled as training goes. */
interface Curves {
  loss: Point[];
  trainAccuracy: Point[];
  testAccuracy: Point[];
  cosine: Map<number, Point[]>;
}

let config: Config = readConfig(location.search);
let running: { stop: boolean } | undefined;
let lastStep: StepRecord | undefined;
let shown: StepRecord | undefined;
let shownSweep = -1;
let curves: Curves = { loss: [], trainAccuracy: [], testAccuracy: [], cosine: new Map() };

function setStatus(text: string, state: string): void {
  statusEl.textContent = text;
  statusEl.dataset.state = state;
}

// The data: the first `config.train` training and `config.test` test images, parsed here from the shipped files.
const files = new Map<string, Promise<Uint8Array>>();
function fetchFile(name: string): Promise<Uint8Array> {
  let bytes = files.get(name);
  if (bytes === undefined) {
    bytes = fetch(`/data/mnist/${name}`).then(async (r) => {
      if (!r.ok) throw new Error(`GET /data/mnist/${name}: ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    });
    files.set(name, bytes);
  }
  return bytes;
}

async function loadSplit(prefix: string, count: number): Promise<Split> {
  const images = await readIdx(await fetchFile(`${prefix}-images-idx3-ubyte.gz`), `${prefix}-images`, 3);
  const labels = await readIdx(await fetchFile(`${prefix}-labels-idx1-ubyte.gz`), `${prefix}-labels`, 1);
  const n = Math.min(count, images.dims[0]!);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i]! / 255;
  return { x, labels: labels.data.slice(0, n), count: n };
}

function buildNet(c: Config): Network {
  const layers: LayerSpec[] = c.hidden.map((units, i) => ({
    type: "dense",
    units,
    activation: "relu",
    interface: c.interfaces[i]!,
  }));
  layers.push({ type: "dense", units: 10 });
  return buildNetwork({
    input: [784],
    layers,
    loss: "softmax-cross-entropy",
    optimizer: { type: "adam", learningRate: c.learningRate },
  }, { seed: c.seed });
}

// Records what the library calls during a step: each layer's forward and backward, each interface's synthetic
// gradient (send) and message (receive, backward), the loss, and each layer's update (onGradients).
function instrument(net: Network, spans: () => Span[] | undefined): void {
  const t0 = () => performance.now();
  const wrap = <A extends unknown[], R>(f: (...a: A) => R, kind: Span["kind"], layer: number) => (...a: A): R => {
    const list = spans();
    const start = t0();
    const r = f(...a);
    list?.push({ kind, layer, start, end: t0() });
    return r;
  };
  net.layers.forEach((layer, j) => {
    const forward = layer.forward.bind(layer);
    layer.forward = (x, mode) => mode === "train" ? wrap(forward, "forward", j)(x, mode) : forward(x, mode);
    layer.backward = wrap(layer.backward.bind(layer), "backward", j);
  });
  net.interfaces.forEach((iface, i) => {
    if (iface.decouples) {
      iface.send = wrap(iface.send.bind(iface), "synthetic", i);
      iface.receive = wrap(iface.receive.bind(iface), "message", i);
    } else {
      iface.backward = wrap(iface.backward.bind(iface), "message", i);
    }
  });
  net.loss.compute = wrap(net.loss.compute.bind(net.loss), "loss", net.layers.length - 1);
}

// One training step, as Network.trainStep takes it, with each layer's update handed to us (onGradients) so that
// the timeline shows when each layer updates; the update itself is the layer's own optimizer, as in trainStep.
function step(
  net: Network,
  x: tf.Tensor2D,
  labels: tf.Tensor2D,
  record: StepRecord,
): { loss: number; correct: number } {
  const context = { labels, step: net.steps };
  net.steps = context.step + 1;
  const n = net.layers.length;
  let loss: tf.Scalar, correct: tf.Scalar;
  try {
    [loss, correct] = tf.tidy(() => {
      const r = net.trainRange(0, n - 1, net.shapeInput(x), context, {
        onGradients: (j, gradients) => {
          const start = performance.now();
          net.optimizers[j]!.apply(net.layers[j]!.trainable, gradients);
          record.spans.push({ kind: "update", layer: j, start, end: performance.now() });
        },
      });
      return [r.loss!, r.correct!];
    });
  } finally {
    net.release(context.step, 0, n - 2);
  }
  const result = { loss: loss.dataSync()[0]!, correct: correct.dataSync()[0]! };
  tf.dispose([loss, correct]);
  return result;
}

async function run(c: Config, control: { stop: boolean }): Promise<void> {
  setStatus("loading MNIST…", "loading");
  const [train, test] = await Promise.all([loadSplit("train", c.train), loadSplit("t10k", c.test)]);
  const net = buildNet(c);
  let recording: Span[] | undefined;
  instrument(net, () => recording);
  curves = { loss: [], trainAccuracy: [], testAccuracy: [], cosine: new Map() };
  const probeSize = Math.min(256, train.count);
  const probe = batchTensors(
    { x: train.x.subarray(0, probeSize * 784), labels: train.labels.subarray(0, probeSize), size: probeSize },
    784,
    10,
  );
  let done = 0;
  let smooth: number | undefined;
  try {
    for (let epoch = 0; done < c.steps && !control.stop; epoch++) {
      for (const batch of batches(train, 784, c.batch, c.seed + epoch)) {
        if (done >= c.steps || control.stop) break;
        if (batch.size < c.batch) continue;
        const { x, labels } = batchTensors(batch, 784, 10);
        const record: StepRecord = { step: done + 1, spans: [], start: performance.now(), end: 0 };
        recording = record.spans;
        const r = step(net, x, labels, record);
        recording = undefined;
        record.end = performance.now();
        lastStep = record;
        // For automation: how many calls the last step made, and which layers updated before the loss.
        const timeline = $<HTMLCanvasElement>("timeline");
        timeline.dataset.spans = String(record.spans.length);
        timeline.dataset.unlocked = unlockedLayers(record).join(",");
        tf.dispose([x, labels]);
        done++;
        smooth = smooth === undefined ? r.loss : 0.9 * smooth + 0.1 * r.loss;
        curves.loss.push({ step: done, value: smooth });
        if (done % c.every === 0 || done === c.steps) {
          for (const d of probeGradients(net, probe.x, probe.labels)) {
            const list = curves.cosine.get(d.layer) ?? [];
            list.push({ step: done, value: d.cosine });
            curves.cosine.set(d.layer, list);
          }
          const { accuracy } = evaluate(net, test);
          curves.testAccuracy.push({ step: done, value: accuracy });
          statusEl.dataset.accuracy = accuracy.toFixed(4);
        }
        statusEl.dataset.step = String(done);
        const acc = statusEl.dataset.accuracy ?? "–";
        setStatus(`step ${done}/${c.steps} · loss ${smooth.toFixed(3)} · test accuracy ${acc}`, "training");
        // Let the page draw (and the Stop button answer) between steps.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    const acc = statusEl.dataset.accuracy ?? "–";
    setStatus(`${control.stop ? "stopped" : "done"} at step ${done} · test accuracy ${acc}`, "done");
  } finally {
    tf.dispose([probe.x, probe.labels]);
    net.dispose();
  }
}

// The controls: one select per hidden layer, steps, learning rate; every change goes into the URL.
function renderControls(): void {
  const layers = $<HTMLElement>("layers");
  layers.replaceChildren();
  config.hidden.forEach((units, i) => {
    const label = document.createElement("label");
    label.textContent = `layer ${i} (${units} units) `;
    const select = document.createElement("select");
    select.id = `iface-${i}`;
    for (const name of INTERFACES) select.add(new Option(name, name, false, config.interfaces[i] === name));
    select.onchange = () => {
      config.interfaces[i] = select.value as typeof INTERFACES[number];
      saveConfig();
    };
    label.append(select);
    layers.append(label);
  });
  const steps = $<HTMLInputElement>("steps");
  steps.value = String(config.steps);
  steps.onchange = () => {
    config.steps = Math.max(1, Math.round(Number(steps.value)) || config.steps);
    saveConfig();
  };
  const lr = $<HTMLInputElement>("lr");
  lr.value = String(config.learningRate);
  lr.onchange = () => {
    config.learningRate = Number(lr.value) > 0 ? Number(lr.value) : config.learningRate;
    saveConfig();
  };
}

function saveConfig(): void {
  const url = configUrl(config, location.href);
  history.replaceState(null, "", url);
  $<HTMLAnchorElement>("link").href = url;
}

function start(): void {
  if (running) running.stop = true;
  const control = { stop: false };
  running = control;
  lastStep = undefined;
  delete statusEl.dataset.accuracy;
  delete statusEl.dataset.step;
  run(structuredClone(config), control).catch((error) => {
    setStatus(`error: ${error instanceof Error ? error.message : error}`, "error");
    console.error(error);
  }).finally(() => {
    if (running === control) running = undefined;
  });
}

// Drawing, every frame: the charts, and the last step's timeline replayed with a moving playhead.
function frame(now: number): void {
  const c = config;
  drawLines($<HTMLCanvasElement>("loss-chart"), [
    { name: "training loss (smoothed)", color: "#c0392b", points: curves.loss, axis: "left" },
    { name: "test accuracy", color: "#2471a3", points: curves.testAccuracy, axis: "right" },
  ], { steps: c.steps, left: [0, Math.max(2.5, ...curves.loss.map((p) => p.value))], right: [0, 1] });
  const colors = ["#8e44ad", "#16a085", "#d35400", "#2c3e50"];
  drawLines(
    $<HTMLCanvasElement>("cosine-chart"),
    [...curves.cosine.entries()].map(([layer, points]) => ({
      name: `layer ${layer} (${c.interfaces[layer]})`,
      color: colors[layer % colors.length]!,
      points,
      axis: "left" as const,
    })),
    { steps: c.steps, left: [-0.2, 1], right: undefined, empty: "every layer gets the true gradient (backprop)" },
  );
  // Each sweep of the playhead (2.4 s) replays one recent step, the last one when the sweep began.
  const sweep = Math.floor(now / 2400);
  if (sweep !== shownSweep || shown === undefined || lastStep === undefined) {
    shown = lastStep;
    shownSweep = sweep;
  }
  if (shown) {
    const names = [...c.interfaces.map((iface, i) => `layer ${i} · ${iface}`), `layer ${c.hidden.length} · output`];
    drawTimeline($<HTMLCanvasElement>("timeline"), shown, names, Math.min(1, (now % 2400) / 2000));
    $<HTMLElement>("timeline-note").textContent = stepLine(shown, c.interfaces, unlockedLayers(shown));
  }
  requestAnimationFrame(frame);
}

$<HTMLButtonElement>("train").onclick = start;
$<HTMLButtonElement>("stop").onclick = () => {
  if (running) running.stop = true;
};
$<HTMLElement>("backend").textContent = `TF.js ${tf.version.tfjs} on ${startedBackend.backend}`;
$<HTMLElement>("legend").replaceChildren(
  ...Object.entries(spanColors).map(([kind, color]) => {
    const item = document.createElement("span");
    item.innerHTML = `<i style="background:${color}"></i>${kind}`;
    return item;
  }),
);
renderControls();
saveConfig();
statusEl.dataset.backend = startedBackend.backend;
setStatus("ready: choose an interface per layer and train", "ready");
requestAnimationFrame(frame);
if (config.autostart) start();
addEventListener("popstate", () => {
  config = readConfig(location.search);
  renderControls();
});
