// Per-backend kernels, registered per (op, backend) like tfjs-core's kernel registry: every
// primitive declares one portable lowering (gpu.js source any backend runs); a backend may
// register its own kernel for an op, and the runtime picks it. Ops never test a backend's name.
import type { BackendName, BackendOf, Storage } from './backend.js';
import type { Lowering, Primitive, Tensor } from './tensor.js';

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
