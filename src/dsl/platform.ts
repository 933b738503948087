// What the DSL needs from its host, declared once; platform-node.ts and platform-browser.ts each
// implement it, and package.json `imports` (#platform, `browser` condition) picks one at load time,
// so no `node:` module is ever imported on the browser path.
import type { AdapterReport } from './webgpu-adapter.js';

/** Which tensors a scope (a `tidy` call) owns; `current()` is the innermost open scope. */
export interface ScopeStore<S> {
  run<T>(scope: S, fn: () => T): T;
  current(): S | undefined;
}

export interface Platform {
  readonly name: 'node' | 'browser';
  /** A configuration value (environment variable on Node; none in a browser). */
  setting(name: string): string | undefined;
  /** Makes `navigator.gpu` usable by gpu.js; resolves to its adapter, or null when there is none. */
  provideWebGpu(): Promise<AdapterReport | null>;
  /** The adapter provideWebGpu would give, found without side effects (no output, no device). */
  probeWebGpu(): Promise<AdapterReport | null>;
  /** Which WebGPU adapters the default backend choice takes: only hardware ones, or any offered. */
  readonly defaultWebGpu: 'hardware' | 'any';
  scopeStore<S>(): ScopeStore<S>;
  /** How many WebAssembly memories (one per webasm kernel) may live at once; null: no limit. */
  readonly wasmMemoryLimit: number | null;
  /** Hardware threads this host offers. */
  readonly cores: number;
  /**
   * A worker running `source` (a script that sees `post(message)` and assigns `receive`), where
   * workers can share WebAssembly memory with this thread; null where they cannot (a page that is
   * not cross-origin isolated).
   */
  sharedMemoryWorker(source: string): WorkerPort | null;
}

/** This thread's end of a worker. */
export interface WorkerPort {
  post(message: unknown): void;
  onMessage(handler: (message: unknown) => void): void;
  /** whether the worker keeps the process alive: only while it owes an answer */
  keepAlive(alive: boolean): void;
}
