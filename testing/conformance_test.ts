// Every built-in interface runs the conformance suite, with its defaults and with other options.
import { builtinInterfaces } from "../interfaces/registry.ts";
import { createCsg, createSg } from "../interfaces/synthetic_gradient.ts";
import { testInterface } from "./conformance.ts";

const builtins = builtinInterfaces();
for (const name of builtins.names()) testInterface(name, builtins.get(name));

testInterface("sg", createSg, { config: { type: "sg", hidden: [8], batchNorm: true, updateProbability: 0.5 } });
testInterface("csg", createCsg, {
  config: { type: "csg", hidden: [8], optimizer: { type: "adam", learningRate: 0.02 }, scale: 0.5 },
  seed: 3,
});
