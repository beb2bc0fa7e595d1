// A child process for the checkpoint tests: saves a network of a few MB to the directory given, over and over,
// printing "saved" after each save, until it is killed.
import { buildNetwork } from "../network/build.ts";
import { saveCheckpoint } from "../checkpoint/save.ts";

const dir = Deno.args[0]!;
const net = buildNetwork({
  input: [784],
  layers: [{ type: "dense", units: 1024, activation: "relu", interface: "csg" }, { type: "dense", units: 10 }],
});
for (;;) {
  await saveCheckpoint(net, dir);
  console.log("saved");
}
