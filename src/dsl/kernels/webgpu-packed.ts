// webgpu lowerings built on vector-returning (packed) kernels or our own WGSL kernels. gpu.js's fused encoder cannot feed
// a vector result to a later step, so a pipeline (jit) records the op's portable program in their
// place; run kernel by kernel (eager, natural loops, replayed plans) the packed kernels run.
import type { BackendOf, Storage } from '../backend.js';
import type { Lowering } from '../kernel-source.js';

type WebgpuRun = (backend: BackendOf['webgpu'], args: readonly Storage[]) => Promise<Storage>;

/** `run`, recorded into pipelines as `portable`'s program (when it has one). */
export function packedRun(run: WebgpuRun, portable: Lowering): WebgpuRun {
  return portable.program ? Object.assign(run, { program: portable.program }) : run;
}
