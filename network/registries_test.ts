import assert from "node:assert/strict";
import { Backprop } from "../interfaces/backprop.ts";
import type { InterfaceFactory } from "../interfaces/interface.ts";
import { registerInterface } from "../mod.ts";
import { buildNetwork } from "./build.ts";
import { createRegistries, defaultRegistries } from "./registries.ts";
import type { NetworkSpec } from "./spec.ts";

const spec = (iface: string): NetworkSpec => ({
  input: [4],
  layers: [{ type: "dense", units: 3, interface: iface }, { type: "dense", units: 2 }],
});

Deno.test("createRegistries() gives a new set holding the built-ins each time", () => {
  const a = createRegistries(), b = createRegistries();
  assert.deepEqual(a.interfaces.names(), ["backprop", "sg", "csg", "local-loss"]);
  assert.deepEqual(a.optimizers.names(), ["sgd", "momentum", "adam", "rmsprop"]);
  assert.ok(a.layers.has("dense") && a.losses.has("softmax-cross-entropy"));
  a.interfaces.register("only-in-a", () => new Backprop());
  assert.ok(!b.interfaces.has("only-in-a") && !defaultRegistries.interfaces.has("only-in-a"));
});

Deno.test("two libraries' plugins of the same name do not collide in registries of their own", () => {
  const made: string[] = [];
  const plugin = (library: string): InterfaceFactory => () => (made.push(library), new Backprop());
  const first = createRegistries(), second = createRegistries();
  first.interfaces.register("fa", plugin("first"));
  second.interfaces.register("fa", plugin("second"));
  buildNetwork(spec("fa"), { registries: second }).dispose();
  buildNetwork(spec("fa"), { registries: first }).dispose();
  assert.deepEqual(made, ["second", "first"]);
  assert.throws(() => buildNetwork(spec("fa")), /layers\[0\]\.interface is not a known interface/);
});

Deno.test("registering a taken or empty name is an error, in any registry and in the default one", () => {
  const registries = createRegistries();
  const defaults = defaultRegistries.interfaces.names();
  assert.throws(() => registries.interfaces.register("csg", () => new Backprop()), {
    name: "TypeError",
    message: 'Cannot register interface "csg": the name is taken',
  });
  assert.throws(() => registerInterface("backprop", () => new Backprop()), /interface "backprop": the name is taken/);
  assert.throws(() => registerInterface("", () => new Backprop()), /the name must be a non-empty string/);
  assert.deepEqual(defaultRegistries.interfaces.names(), defaults, "a failed registration changes nothing");
});
