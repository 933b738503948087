// Per-backend kernels, registered per (op, backend) like tfjs-core's kernel registry: every
// primitive declares one portable lowering (gpu.js source any backend runs); a backend may
// register its own kernel for an op, and the runtime picks it. Ops never test a backend's name.
import type { BackendName, BackendOf, Storage } from './backend.js';
import type { Lowering, Primitive, Tensor } from './tensor.js';
import { fusedSource } from './fusion.js';
import { singleKernel } from './kernel-source.js';

/** A backend's own lowering of a primitive: it sees that backend's full interface. */
export type BackendLowering<N extends BackendName, A> = (
  out: Tensor,
  inputs: readonly Tensor[],
  attrs: A,
) => (backend: BackendOf[N], args: readonly Storage[]) => Promise<Storage>;

const table = new Map<string, BackendLowering<any, any>>();
const key = (op: string, backend: BackendName) => `${op}/${backend}`;

/** Registers `backend`'s kernel for `op`; one per (op, backend). */
export function registerKernel<N extends BackendName, A>(op: Primitive<A>, backend: N, lower: BackendLowering<N, A>): void {
  if (table.has(key(op.name, backend))) throw new Error(`internal: a ${backend} kernel for ${op.name} is already registered`);
  table.set(key(op.name, backend), lower);
}

/** How `t` is computed on `backend`: its registered kernel, else the primitive's portable lowering. */
export function loweringFor(t: Tensor, backend: BackendName): Lowering {
  const op = t.op!;
  const own = table.get(key(op.name, backend));
  return (own ?? op.lower)(t, t.inputs, t.attrs);
}

/** A backend's own kernel for a fused elementwise group: `root` computed from `externals` through `nodes`. */
export type FusedBackendLowering<N extends BackendName> = (
  root: Tensor,
  nodes: readonly Tensor[],
  externals: readonly Tensor[],
) => (backend: BackendOf[N], args: readonly Storage[]) => Promise<Storage>;

const fusedTable = new Map<BackendName, FusedBackendLowering<any>>();

/** Registers `backend`'s compiler for fused elementwise groups; one per backend. */
export function registerFusedKernel<N extends BackendName>(backend: N, lower: FusedBackendLowering<N>): void {
  if (fusedTable.has(backend)) throw new Error(`internal: a ${backend} fused-group kernel is already registered`);
  fusedTable.set(backend, lower);
}

/** How a fused group is computed on `backend`: its registered compiler, else one generated gpu.js kernel. */
export function fusedLoweringFor(root: Tensor, nodes: readonly Tensor[], externals: readonly Tensor[], backend: BackendName): Lowering {
  const own = fusedTable.get(backend);
  return own ? own(root, nodes, externals) : singleKernel(fusedSource(root, nodes, externals), root.size);
}
