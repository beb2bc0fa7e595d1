/**
 * A named collection of factories: layers, interfaces, optimizers and losses are all looked up by name through
 * one of these, so a JSON spec can name them and users can add their own.
 *
 * @module
 */

/**
 * Maps names to factories. Registering a taken name is an error; looking up an unknown name is an error that
 * lists the known names.
 *
 * @typeParam F The factory type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Registry } from "./mod.ts";
 *
 * const colors = new Registry<() => string>("color");
 * colors.register("red", () => "#f00");
 * assert.equal(colors.get("red")(), "#f00");
 * assert.throws(() => colors.get("blue"), /Unknown color "blue": known colors are red/);
 * ```
 */
export class Registry<F> {
  /** What the registry holds, for messages: `"interface"`, `"layer"`, ... */
  readonly kind: string;
  #entries = new Map<string, F>();

  /**
   * Makes an empty registry.
   *
   * @param kind What the entries are, used in error messages.
   */
  constructor(kind: string) {
    this.kind = kind;
  }

  /**
   * Adds `factory` under `name`.
   *
   * @throws {TypeError} If the name is empty or already registered.
   */
  register(name: string, factory: F): this {
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError(`Cannot register ${this.kind}: the name must be a non-empty string, got ${String(name)}`);
    }
    if (this.#entries.has(name)) {
      throw new TypeError(`Cannot register ${this.kind} "${name}": the name is taken`);
    }
    this.#entries.set(name, factory);
    return this;
  }

  /** Whether `name` is registered. */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /**
   * The factory registered under `name`.
   *
   * @throws {RangeError} If there is none; the message lists the known names.
   */
  get(name: string): F {
    const factory = this.#entries.get(name);
    if (factory === undefined) {
      throw new RangeError(`Unknown ${this.kind} "${name}": known ${this.kind}s are ${this.names().join(", ")}`);
    }
    return factory;
  }

  /** The registered names, in registration order. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** A copy with the same entries, to extend without touching this one. */
  clone(): Registry<F> {
    const copy = new Registry<F>(this.kind);
    for (const [name, factory] of this.#entries) copy.register(name, factory);
    return copy;
  }
}
