// Backends, as interfaces: reference-counted device storage (every buffer is released
// deterministically) and generated kernels. What only one backend can do (cpu kernel maps,
// webasm's host-memory storage) is a method of that backend's own interface, reached through its
// kernel table (kernel-table.ts), never a field of the shared spec. Each backend is made by its
// own module in backends/.

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
  /** bytes copied host to device so far (0 where storage is host memory) */
  readonly uploadedBytes: number;
  /** bytes copied device to host so far (0 where storage is host memory) */
  readonly readBytes: number;
  /** the most bytes held at once since the backend started or `resetPeak()` (what checkpointing lowers) */
  readonly peakBytes: number;
}

export interface Backend {
  readonly name: BackendName;
  readonly description: string;
  /**
   * Whether `jit` records a plan made only of gpu.js kernels as one pipeline here. Not on WebGPU:
   * a gpu.js pipeline reads every result back to the host (a training step's parameters and
   * optimizer state would cross each way every step), and one by one our WGSL kernels run (on
   * software adapters the vec4 kernels one by one already beat a pipeline of portable ones: quick
   * step 1.5x in Node on Mesa, 1.9x in Chromium on SwiftShader, README).
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
  /** Starts a new peak: peakBytes becomes the bytes held now. */
  resetPeak(): void;
  /**
   * Submits device work the backend has recorded but not yet submitted (webgpu batches its own
   * commands); the profiler calls it after each step, so a step's time is its own work's.
   */
  readonly flush?: () => void;
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
  /**
   * An array of `length` floats for a kernel to fill and `adopt`: its contents are undefined (a
   * released result's, reused), so the kernel writes every element.
   */
  allocate(length: number): Float32Array;
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
  /** The device's limits our WGSL kernels are sized by. */
  readonly wgslLimits: WgslLimits;
  /** Whether matmuls run as the tiled WGSL kernel (not on SwiftShader, where it is far slower). */
  readonly tiledMatmul: boolean;
  /** Whether row statistics (softmax, layerNorm) run as our WGSL workgroup reductions (kernels/webgpu-rows.ts). */
  readonly rowKernels: boolean;
  /** Whether elementwise groups run as our WGSL kernels (kernels/webgpu-elementwise.ts), else gpu.js's. */
  readonly elementwiseKernels: boolean;
  /** Runs one of the project's own WGSL kernels (backends/wgsl.ts) on gpu.js's device and buffers. */
  runWgsl(spec: WgslSpec, args: readonly Storage[]): Promise<Storage>;
  /** `runWgsl` for a kernel with several results (`spec.results`): their storage, in binding order. */
  runWgslResults(spec: WgslSpec, args: readonly Storage[]): Promise<Storage[]>;
  /** Copies contiguous runs of its arguments into a new buffer: one command encoder, one submit, no kernel. */
  runCopies(spec: CopySpec, args: readonly Storage[]): Promise<Storage>;
}

/** `count` floats of argument `source`, from its float `from`, to the result's float `to`. */
export interface CopyRun {
  readonly source: number;
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

/** A result of `length` floats made of contiguous runs of the arguments (floats no run covers are 0). */
export interface CopySpec {
  readonly length: number;
  readonly runs: readonly CopyRun[];
}

export interface WgslLimits {
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
}

/**
 * A WGSL compute shader with entry point `main`: bindings 0 .. n-1 are its n arguments (read-only
 * storage arrays of f32), then its results of `length` floats each; dispatched as `workgroups`.
 */
export interface WgslSpec {
  readonly source: string;
  readonly length: number;
  readonly workgroups: readonly [number, number, number];
  /** how many results (default 1) */
  readonly results?: number;
  /**
   * arguments of one float each, by position, copied into one buffer bound after the other
   * arguments in this order (WebGPU guarantees only 8 storage buffers a shader stage)
   */
  readonly packed?: readonly number[];
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
