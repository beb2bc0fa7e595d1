// The tiny reproduction table the reproduce tests share: two one-hidden-layer MLPs on MNIST (backprop and csg),
// written as spec files into a folder.

/** Writes `bp.json` and `csg.json` (784-24-10, ReLU, Adam 1e-3) into `dir`. */
export async function writeTinySpecs(dir: string): Promise<void> {
  const spec = (iface: string) => ({
    input: [784],
    layers: [{ type: "dense", units: 24, activation: "relu", interface: iface }, { type: "dense", units: 10 }],
    loss: "softmax-cross-entropy",
    optimizer: { type: "adam", learningRate: 0.001 },
  });
  await Deno.writeTextFile(`${dir}/bp.json`, JSON.stringify(spec("backprop")));
  await Deno.writeTextFile(`${dir}/csg.json`, JSON.stringify(spec("csg")));
}
