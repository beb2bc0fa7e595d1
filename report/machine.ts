/**
 * A description of the machine and runtime, for reports (so numbers are read with their context).
 *
 * @module
 */
import os from "node:os";
import { backendInfo } from "../backend.ts";

/** The machine and software a report was measured on. */
export interface MachineInfo {
  os: string;
  arch: string;
  cpuModel: string;
  cpus: number;
  memoryGiB: number | null;
  deno: string;
  v8: string;
  backend: string;
  tfjs: string;
  wasm: string;
}

/** Reads what it can; fields it may not read (permissions) are "unknown". */
export function machineInfo(): MachineInfo {
  let cpuModel = "unknown CPU";
  try {
    cpuModel = os.cpus()[0]?.model ?? cpuModel;
  } catch { /* needs --allow-sys */ }
  let memoryGiB: number | null = null;
  try {
    memoryGiB = Math.round(Deno.systemMemoryInfo().total / 2 ** 30);
  } catch { /* needs --allow-sys */ }
  const { backend, tfjs, wasm } = backendInfo();
  return {
    os: Deno.build.os,
    arch: Deno.build.arch,
    cpuModel,
    cpus: navigator.hardwareConcurrency,
    memoryGiB,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    backend,
    tfjs,
    wasm,
  };
}
