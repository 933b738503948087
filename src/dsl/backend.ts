// Backends: one gpu.js instance per backend, a kernel cache keyed by generated source and sizes,
// and reference-counted device storage so every buffer is released deterministically. What only
// one backend can do (cpu kernel maps, webasm's host-memory storage) is a method of that backend's own
// interface, reached through its kernel table (kernel-table.ts), never a field of the shared spec.
import gpujs from 'gpu.js';
import { platform } from '#platform';
import { KernelCache } from './kernel-cache.js';
import { destroyWebAssemblyKernel, shareWebAssemblyPool } from './webasm-pool.js';

export const backendNames = ['webgpu', 'headlessgl', 'webasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];

/**
 * A flat float32 buffer living on a backend's device; freed when its last reference is dropped.
 * A pipeline's results arrive as host values: a GPU backend uploads them when a kernel first reads them.
 */
export interface Storage {
  raw: any;
  readonly length: number;
  refs: number;
}

/** One generated kernel: gpu.js source over flat 1-D inputs, producing `length` floats. */
export interface KernelSpec {
  readonly source: string;
  readonly length: number;
}

/**
 * A computation recorded as one gpu.js pipeline: values 0 .. args-1 are its arguments, kernel k
 * writes value args + k, and it returns the values `results`.
 */
export interface PipelineProgram {
  readonly args: number;
  readonly kernels: ReadonlyArray<{ readonly spec: KernelSpec; readonly args: readonly number[] }>;
  readonly results: readonly number[];
}

export interface CompiledPipeline {
  /** runs the pipeline on host values of its arguments; resolves to host values of its results */
  run(args: readonly Float32Array[]): Promise<Float32Array[]>;
  /** gpu.js's executor ('fused-threaded', 'fused-sync', 'fused-encoder', 'generic'), after a run */
  readonly executorKind: string | null;
  /** why a fused executor declined it (null while fused) */
  readonly fallbackReason: string | null;
  /** the mode whose kernels ran it ('cpu' when gpu.js degraded it) */
  readonly executedOn: string | null;
  destroy(): void;
}

export interface MemoryInfo {
  readonly buffers: number;
  readonly bytes: number;
}

export interface Backend {
  readonly name: BackendName;
  readonly description: string;
  /**
   * Whether `jit` records a plan made only of gpu.js kernels as one pipeline here. Not on a
   * software WebGPU adapter (Mesa, SwiftShader): compute-bound, it runs the backend's own vec4
   * kernels one by one faster than a pipeline of the portable ones (quick step: 1.5x in Node on
   * Mesa, 1.9x in Chromium on SwiftShader, README).
   */
  readonly jitPipelines: boolean;
  run(spec: KernelSpec, args: readonly Storage[]): Promise<Storage>;
  upload(data: Float32Array): Promise<Storage>;
  read(storage: Storage): Promise<Float32Array>;
  /** Host values as storage, without a copy (the caller gives them up). */
  fromHost(values: Float32Array): Storage;
  /** Records `program` as one gpu.js pipeline (createPipeline). */
  pipeline(program: PipelineProgram): CompiledPipeline;
  retain(storage: Storage): Storage;
  release(storage: Storage): void;
  memory(): MemoryInfo;
  readonly kernelsCompiled: () => number;
  /** gpu.js kernels run one by one so far (run, runPacked, runMap; not pipelines or the backend's own code) */
  readonly kernelLaunches: () => number;
}

/** webasm storage is host memory: a Float32Array that gpu.js copies into a kernel's wasm memory per call. */
export interface WebasmBackend extends Backend {
  readonly name: 'webasm';
  /** The values `storage` holds (not a copy: read only). */
  values(storage: Storage): Float32Array;
  /** Takes ownership of values computed on the host as this backend's storage (no copy). */
  adopt(values: Float32Array): Storage;
}

/** webgpu storage is a gpu.js buffer handle; kernels may write 2 or 4 floats per thread. */
export interface WebgpuBackend extends Backend {
  readonly name: 'webgpu';
  /**
   * Runs a kernel whose source returns `[v0, .., v{width-1}]` (gpu.js Array(width), a WGSL vector)
   * on ceil(length / width) threads: thread t's values are floats width * t .. width * t + width - 1
   * of the flat result, `length` floats (the surplus of the last thread is dropped).
   */
  runPacked(spec: KernelSpec, width: 2 | 4, args: readonly Storage[]): Promise<Storage>;
}

export interface CpuBackend extends Backend {
  readonly name: 'cpu';
  /**
   * Runs a kernel map whose source also calls `out1(v)` .. `out{extra}(v)` once per thread; the
   * result is the returned values followed by each out's values, `length / (extra + 1)` floats each.
   */
  runMap(spec: KernelSpec, extra: number, args: readonly Storage[]): Promise<Storage>;
}

/** Each backend's interface, by name: what its kernel table's entries may use. */
export interface BackendOf {
  webgpu: WebgpuBackend;
  headlessgl: Backend & { readonly name: 'headlessgl' };
  webasm: WebasmBackend;
  cpu: CpuBackend;
}

// Node loads gpu.js's CommonJS entry, bundlers its browser build: both export the GPU class as `GPU`
const { GPU } = gpujs as { GPU: any };

const gpuMode: Record<BackendName, string> = { webgpu: 'webgpu', headlessgl: 'headlessgl', webasm: 'webasm', cpu: 'cpu' };

async function isUsable(name: BackendName): Promise<{ description: string; software: boolean } | null> {
  switch (name) {
    case 'webgpu': {
      const adapter = await platform.provideWebGpu();
      return adapter ? { description: `webgpu (${adapter.description}${adapter.software ? ', software' : ''})`, software: adapter.software } : null;
    }
    case 'headlessgl':
      return GPU.isHeadlessGLSupported ? { description: 'headlessgl', software: false } : null;
    case 'webasm':
      return GPU.isWebAssemblySupported ? { description: 'webasm (WebAssembly SIMD, worker threads)', software: false } : null;
    case 'cpu':
      return { description: 'cpu (gpu.js JavaScript)', software: false };
  }
}

/** Creates a backend, or returns null when this machine cannot run it. */
export async function createBackend<N extends BackendName>(name: N): Promise<BackendOf[N] | null> {
  const usable = await isUsable(name);
  if (!usable) return null;
  const { description, software } = usable;
  // in browsers too (a page's workers are threads): evicted kernels release their modules from the
  // shared workers, which are replaced now and then so the page's WebAssembly memories stay bounded
  if (name === 'webasm') shareWebAssemblyPool((gpujs as { WebAssemblyKernel?: { prototype: object } }).WebAssemblyKernel);
  const gpu = new GPU({ mode: gpuMode[name] });
  // evaluations are serialized, so no evicted kernel is still running
  const kernels = new KernelCache<any>(name === 'webasm' ? platform.wasmMemoryLimit : null, name === 'webasm' ? destroyWebAssemblyKernel : (k) => k.destroy());
  const asyncCalls = name === 'webgpu' || name === 'webasm';
  let buffers = 0;
  let bytes = 0;
  let launches = 0;

  const wrap = (raw: any, length: number): Storage => {
    buffers++;
    bytes += length * 4;
    return { raw, length, refs: 1 };
  };

  /** The compiled gpu.js kernel for `spec` over these argument sizes; `make` builds it on a miss. */
  const cached = (key: string, spec: KernelSpec, args: readonly Storage[], make: (settings: object) => any) => {
    const full = `${spec.length}|${key}|${args.map((a) => a.length).join(',')}|${spec.source}`;
    return kernels.get(full, () =>
      make({
        pipeline: true,
        // a mutable pipeline kernel would reuse (overwrite) its previous output buffer
        immutable: true,
        precision: 'single',
        tactic: 'precision',
        asyncMode: asyncCalls,
      }),
    );
  };
  const flatKernel = (spec: KernelSpec, args: readonly Storage[]) =>
    cached('', spec, args, (settings) => gpu.createKernel(spec.source, { ...settings, output: [spec.length] }));
  // webasm and cpu kernels compute on host arrays; GPU kernels read device buffers
  const hostMemory = name === 'webasm' || name === 'cpu';
  const uploadRaw = async (values: Float32Array) =>
    flatKernel({ source: 'function (a) { return a[this.thread.x]; }', length: values.length }, [{ raw: null, length: values.length, refs: 0 }])(values);
  /** a storage's device value: host values (a pipeline's results) are uploaded on first use */
  const resident = async (s: Storage) => {
    if (!hostMemory && s.raw instanceof Float32Array) s.raw = await uploadRaw(s.raw);
    return s.raw;
  };
  // kernels recorded by pipelines: plain settings (a pipeline keeps intermediates resident itself)
  const pipelineKernels = new Map<string, any>();
  const pipelineKernel = (spec: KernelSpec) => {
    const key = `${spec.length}|${spec.source}`;
    let k = pipelineKernels.get(key);
    if (!k) pipelineKernels.set(key, (k = gpu.createKernel(spec.source, { output: [spec.length], precision: 'single', tactic: 'precision' })));
    return k;
  };

  const base: Backend = {
    name,
    description,
    jitPipelines: !software,
    async run(spec, args) {
      launches++;
      const raws = await Promise.all(args.map(resident));
      return wrap(await flatKernel(spec, args)(...raws), spec.length);
    },
    async upload(data) {
      // every kernel argument is device storage, so one compiled kernel never sees mixed argument kinds
      return wrap(await uploadRaw(data), data.length);
    },
    fromHost: (values) => wrap(values, values.length),
    pipeline(program) {
      const kernels = program.kernels.map((k) => pipelineKernel(k.spec));
      const orchestrate = function (...handles: unknown[]) {
        const values = [...handles];
        program.kernels.forEach((k, i) => values.push(kernels[i](...k.args.map((a) => values[a]))));
        return program.results.map((r) => values[r]);
      };
      // gpu.js takes the pipeline's argument count from the function's length
      const run = gpu.createPipeline(Object.defineProperty(orchestrate, 'length', { value: program.args }));
      let ran = false;
      return {
        async run(args) {
          const out = (await run(...args)) as ArrayLike<number>[];
          ran = true;
          return out.map((v) => (v instanceof Float32Array ? v : Float32Array.from(v)));
        },
        get executorKind() {
          return ran ? run.pipeline.executorKind : null;
        },
        get fallbackReason() {
          return ran ? run.pipeline.fallbackReason : null;
        },
        get executedOn() {
          return run.backend;
        },
        destroy: () => void run.destroy(),
      };
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
    kernelsCompiled: () => kernels.compiled,
    kernelLaunches: () => launches,
  };
  const extensions: { [M in BackendName]: () => BackendOf[M] } = {
    webgpu: () => ({
      ...base,
      name: 'webgpu',
      async runPacked(spec, width, args) {
        launches++;
        const cells = Math.ceil(spec.length / width);
        const kernel = cached(`packed ${width}`, spec, args, (settings) => gpu.createKernel(spec.source, { ...settings, output: [cells] }));
        // host values (a pipeline's results) are uploaded first, as for run(): a kernel compiled for
        // device buffers misreads a host array as a buffer of another device
        const packed = await kernel(...(await Promise.all(args.map(resident))));
        if (packed.componentCount !== width) throw new Error(`internal: a packed kernel returned ${packed.componentCount} floats per thread, not ${width}`);
        // the same buffer seen as flat floats, which later kernels read like any storage (gpu.js
        // refuses vector results as arguments, though a vector buffer is laid out as its floats)
        const flat = packed.clone();
        flat.componentCount = 1;
        flat.output = [spec.length];
        packed.delete();
        return wrap(flat, spec.length);
      },
    }),
    headlessgl: () => ({ ...base, name: 'headlessgl' }),
    webasm: () => ({
      ...base,
      name: 'webasm',
      // host memory already: a copy, no kernel
      upload: async (data) => wrap(data.slice(), data.length),
      values(storage) {
        if (!(storage.raw instanceof Float32Array)) throw new Error('internal: webasm storage is not a Float32Array');
        return storage.raw;
      },
      adopt: (values) => wrap(values, values.length),
    }),
    cpu: () => ({
      ...base,
      name: 'cpu',
      async runMap(spec, extra, args) {
        launches++;
        const outs = Array.from({ length: extra }, (_, j) => `function out${j + 1}(v) { return v; }`);
        const kernel = cached(`map ${extra}`, spec, args, (settings) => gpu.createKernelMap(outs, spec.source, { ...settings, output: [spec.length / (extra + 1)] }));
        const out = await kernel(...args.map((a) => a.raw));
        return wrap(concat([out.result, ...Array.from({ length: extra }, (_, j) => out[j])], spec.length), spec.length);
      },
    }),
  };
  return extensions[name]();
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
