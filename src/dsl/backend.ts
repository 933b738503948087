// Backends: one gpu.js instance per backend, a kernel cache keyed by generated source and sizes,
// and reference-counted device storage so every buffer is released deterministically.
import { createRequire } from 'node:module';
import { provideNavigatorGpu, type AdapterReport } from './webgpu-node.js';

export const backendNames = ['webgpu', 'headlessgl', 'webasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];

/** A flat float32 buffer living on a backend's device; freed when its last reference is dropped. */
export interface Storage {
  readonly raw: any;
  readonly length: number;
  refs: number;
}

/** One generated kernel: gpu.js source over flat 1-D inputs, producing `length` floats. */
export interface KernelSpec {
  readonly source: string;
  readonly length: number;
  /**
   * webasm and cpu only: gpu.js output dims (x first) instead of [length], for kernels that read
   * this.thread.y/z or return Array(n); the result is flattened (x fastest, components innermost).
   */
  readonly output?: readonly number[];
  /**
   * cpu only: a kernel map whose source also calls `out1(v)` .. `out{n}(v)` once per thread; the
   * result is the returned values followed by each out's values, `length / (n + 1)` floats each.
   */
  readonly extraOutputs?: number;
}

export interface MemoryInfo {
  readonly buffers: number;
  readonly bytes: number;
}

export interface Backend {
  readonly name: BackendName;
  readonly description: string;
  run(spec: KernelSpec, args: readonly Storage[]): Promise<Storage>;
  upload(data: Float32Array): Promise<Storage>;
  read(storage: Storage): Promise<Float32Array>;
  retain(storage: Storage): Storage;
  release(storage: Storage): void;
  memory(): MemoryInfo;
  readonly kernelsCompiled: () => number;
}

const require = createRequire(import.meta.url);
const { GPU } = require('gpu.js');

const gpuMode: Record<BackendName, string> = { webgpu: 'webgpu', headlessgl: 'headlessgl', webasm: 'webasm', cpu: 'cpu' };

async function isUsable(name: BackendName): Promise<string | null> {
  switch (name) {
    case 'webgpu': {
      const adapter: AdapterReport | null = await provideNavigatorGpu();
      return adapter ? `webgpu (${adapter.description}${adapter.software ? ', software' : ''})` : null;
    }
    case 'headlessgl':
      return GPU.isHeadlessGLSupported ? 'headlessgl' : null;
    case 'webasm':
      return GPU.isWebAssemblySupported ? 'webasm (WebAssembly SIMD, worker threads)' : null;
    case 'cpu':
      return 'cpu (gpu.js JavaScript)';
  }
}

/** Creates a backend, or returns null when this machine cannot run it. */
export async function createBackend(name: BackendName): Promise<Backend | null> {
  const description = await isUsable(name);
  if (!description) return null;
  const gpu = new GPU({ mode: gpuMode[name] });
  const kernels = new Map<string, any>();
  const asyncCalls = name === 'webgpu' || name === 'webasm';
  let buffers = 0;
  let bytes = 0;

  const wrap = (raw: any, length: number): Storage => {
    buffers++;
    bytes += length * 4;
    return { raw, length, refs: 1 };
  };

  const kernelFor = (spec: KernelSpec, args: readonly Storage[]) => {
    const extra = spec.extraOutputs ?? 0;
    if ((spec.output && name !== 'webasm' && name !== 'cpu') || (extra && name !== 'cpu')) {
      throw new Error(`internal: ${name} runs only flat, single-output kernels`);
    }
    const key = `${spec.length}|${spec.output ?? ''}|${extra}|${args.map((a) => a.length).join(',')}|${spec.source}`;
    let kernel = kernels.get(key);
    if (!kernel) {
      const settings = {
        output: spec.output ?? [spec.length / (extra + 1)],
        pipeline: true,
        // a mutable pipeline kernel would reuse (overwrite) its previous output buffer
        immutable: true,
        precision: 'single',
        tactic: 'precision',
        asyncMode: asyncCalls,
      };
      const outs = Array.from({ length: extra }, (_, j) => `function out${j + 1}(v) { return v; }`);
      kernel = extra ? gpu.createKernelMap(outs, spec.source, settings) : gpu.createKernel(spec.source, settings);
      if (spec.output && name === 'webasm' && typeof kernel.kernel?._shapeOutput === 'function') {
        // webasm nests its flat result into rows, and an Array(n) result into a typed-array view per
        // cell: ~0.3 µs each, as long as a cell of a K=128 matmul takes to compute. We want it flat.
        kernel.kernel._shapeOutput = (data: Float32Array) => data;
      }
      kernels.set(key, kernel);
    }
    return kernel;
  };

  const backend: Backend = {
    name,
    description,
    async run(spec, args) {
      const kernel = kernelFor(spec, args);
      let out = await kernel(...args.map((a) => a.raw));
      if (spec.extraOutputs) out = concat([out.result, ...Array.from({ length: spec.extraOutputs }, (_, j) => out[j])], spec.length);
      else if (spec.output) out = flatten(out, spec.length);
      return wrap(out, spec.length);
    },
    async upload(data) {
      // every kernel argument is device storage, so one compiled kernel never sees mixed argument kinds
      const copy = kernelFor({ source: 'function (a) { return a[this.thread.x]; }', length: data.length }, [{ raw: null, length: data.length, refs: 0 }]);
      const out = await copy(data);
      return wrap(out, data.length);
    },
    async read(storage) {
      const raw = storage.raw;
      const values = raw instanceof Float32Array ? raw : await raw.toArray();
      return values instanceof Float32Array ? values : Float32Array.from(values);
    },
    retain(storage) {
      storage.refs++;
      return storage;
    },
    release(storage) {
      if (storage.refs <= 0) throw new Error('internal: storage released twice');
      if (--storage.refs > 0) return;
      buffers--;
      bytes -= storage.length * 4;
      if (typeof storage.raw?.delete === 'function') storage.raw.delete();
    },
    memory: () => ({ buffers, bytes }),
    kernelsCompiled: () => kernels.size,
  };
  return backend;
}

/** A webasm/cpu result shaped by output dims or Array(n) returns, as one row-major Float32Array. */
function flatten(out: any, length: number): Float32Array {
  if (out instanceof Float32Array && out.length === length) return out;
  let first = out;
  while (!(first instanceof Float32Array)) first = first[0];
  // webasm shapes its result as views in order over one buffer of exactly the result: no copy needed
  if (first.byteOffset === 0 && first.buffer.byteLength === length * 4) return new Float32Array(first.buffer);
  const parts: Float32Array[] = [];
  const walk = (x: any): void => {
    if (x instanceof Float32Array) parts.push(x);
    else for (const y of x) walk(y);
  };
  walk(out);
  return concat(parts, length);
}

function concat(parts: readonly Float32Array[], length: number): Float32Array {
  const flat = new Float32Array(length);
  let at = 0;
  for (const p of parts) {
    flat.set(p, at);
    at += p.length;
  }
  if (at !== length) throw new Error(`internal: kernel produced ${at} values, expected ${length}`);
  return flat;
}
