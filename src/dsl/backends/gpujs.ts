// What every backend shares: one gpu.js instance in its mode, a kernel cache keyed by generated
// source and sizes, reference-counted storage, and pipelines. A backend's own module (webgpu.ts,
// webasm.ts, ...) says whether the machine can run it and adds its own methods.
import gpujs from 'gpu.js';
import type { Backend, BackendName, KernelSpec, Storage } from '../backend.js';
import { KernelCache } from '../kernel-cache.js';

// Node loads gpu.js's CommonJS entry, bundlers its browser build: both export the GPU class as `GPU`
export const { GPU } = gpujs as { GPU: any };

export interface GpujsOptions {
  readonly description: string;
  /** a software adapter (then jit does not record pipelines, see Backend.jitPipelines) */
  readonly software: boolean;
  /** whether gpu.js calls its kernels asynchronously here */
  readonly asyncCalls: boolean;
  /** whether kernels compute on host arrays (else they read device buffers) */
  readonly hostMemory: boolean;
  /** bytes of compiled kernels kept (null: no limit), and how an evicted one is released */
  readonly kernelCache?: { readonly limit: number | null; readonly destroy: (kernel: any) => void };
}

/** The shared backend, and what a backend's own methods build on. */
export interface GpujsBackend {
  readonly base: Backend;
  readonly gpu: any;
  /** storage for a raw device value of `length` floats (counted until released) */
  wrap(raw: any, length: number): Storage;
  /** the compiled kernel for `spec` over these argument sizes (`key` tells variants apart); `make` builds it on a miss */
  cached(key: string, spec: KernelSpec, args: readonly Storage[], make: (settings: object) => any): any;
  /** a storage's device value: host values (a pipeline's results) are uploaded on first use */
  resident(s: Storage): Promise<any>;
  /** counts one kernel launch */
  launched(): void;
  /**
   * runs `launch` for a result of `length` floats, safe for zero sizes (see below); `release` frees
   * a stand-in argument (a backend whose commands may still be pending gives its own)
   */
  sized(length: number, args: readonly Storage[], launch: (args: readonly Storage[]) => Promise<Storage>, release?: (s: Storage) => void): Promise<Storage>;
}

export function gpujsBackend(name: BackendName, options: GpujsOptions): GpujsBackend {
  const { description, software, asyncCalls, hostMemory } = options;
  const gpu = new GPU({ mode: name });
  // evaluations are serialized, so no evicted kernel is still running
  const kernels = new KernelCache<any>(options.kernelCache?.limit ?? null, options.kernelCache?.destroy ?? ((k) => k.destroy()));
  let buffers = 0;
  let bytes = 0;
  let peakBytes = 0;
  let launches = 0;
  // host <-> device traffic (only where storage is device memory)
  let uploadedBytes = 0;
  let readBytes = 0;
  const moved = (values: ArrayLike<number>) => (hostMemory ? 0 : values.length * 4);

  const wrap = (raw: any, length: number): Storage => {
    buffers++;
    bytes += length * 4;
    peakBytes = Math.max(peakBytes, bytes);
    return { raw, length, refs: 1 };
  };

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
  const uploadRaw = async (values: Float32Array) => {
    uploadedBytes += moved(values);
    return flatKernel({ source: 'function (a) { return a[this.thread.x]; }', length: values.length }, [{ raw: null, length: values.length, refs: 0 }])(values);
  };
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
    run(spec, args) {
      return sized(spec.length, args, async (args) => {
        launches++;
        const raws = await Promise.all(args.map(resident));
        return wrap(await flatKernel(spec, args)(...raws), spec.length);
      });
    },
    async upload(data) {
      if (data.length === 0) return wrap(new Float32Array(0), 0);
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
          for (const a of args) uploadedBytes += moved(a);
          const out = (await run(...args)) as ArrayLike<number>[];
          ran = true;
          for (const v of out) readBytes += moved(v);
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
      if (!(raw instanceof Float32Array)) readBytes += moved(values);
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
    memory: () => ({ buffers, bytes, uploadedBytes, readBytes, peakBytes }),
    resetPeak: () => {
      peakBytes = bytes;
    },
    kernelsCompiled: () => kernels.compiled,
    kernelLaunches: () => launches,
  };
  // Zero sizes (a dim of 0), which gpu.js refuses: an empty result is an empty host array and no
  // kernel runs; a kernel with a non-empty result reads an empty argument only in a loop of 0
  // iterations (a sum over an axis of 0, a matmul with k = 0), so one float stands in for it.
  const sized = async (length: number, args: readonly Storage[], launch: (args: readonly Storage[]) => Promise<Storage>, release = base.release) => {
    if (length === 0) return wrap(new Float32Array(0), 0);
    if (!args.some((a) => a.length === 0)) return launch(args);
    const stand = wrap(new Float32Array(1), 1);
    try {
      return await launch(args.map((a) => (a.length === 0 ? stand : a)));
    } finally {
      release(stand);
    }
  };
  return { base, gpu, wrap, cached, resident, launched: () => void launches++, sized };
}
