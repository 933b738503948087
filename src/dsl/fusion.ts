// Elementwise fusion: a chain of elementwise ops whose intermediates are used once becomes one
// kernel (e.g. bias add + GELU, or a whole optimizer update), so those intermediates never touch
// memory and each costs no kernel launch.
import type { Tensor } from './tensor.js';
import { coordinates, kernelSource, localBinder } from './kernel-source.js';
import { broadcastIndex } from './ops/elementwise.js';

// webgpu guarantees 8 storage buffers per shader stage; one is the output
const maxInputs = 6;

const sameShape = (a: Tensor, b: Tensor) => a.shape.length === b.shape.length && a.shape.every((d, k) => d === b.shape[k]);

/**
 * Groups the plan's elementwise nodes. Returns, for every node folded into a consumer, the root
 * of its group (roots compute the whole group in one kernel).
 */
export function fuseElementwise(order: readonly Tensor[], uses: ReadonlyMap<Tensor, number>, keep: ReadonlySet<Tensor>): Map<Tensor, Tensor> {
  const rootOf = new Map<Tensor, Tensor>();
  const inputsOfGroup = new Map<Tensor, number>();
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    if (!t.op?.elementwise || t.storage) continue;
    const root = rootOf.get(t) ?? t;
    if (!inputsOfGroup.has(root)) inputsOfGroup.set(root, t.inputs.length);
    for (const i of t.inputs) {
      const fusible = i.op?.elementwise && !i.storage && !keep.has(i) && uses.get(i) === 1 && sameShape(i, t) && !rootOf.has(i);
      const count = inputsOfGroup.get(root)! - 1 + i.inputs.length;
      if (fusible && count <= maxInputs) {
        rootOf.set(i, root);
        inputsOfGroup.set(root, count);
      }
    }
  }
  return rootOf;
}

/** The group's nodes in evaluation order and its external inputs (each once). */
export function groupOf(root: Tensor, rootOf: ReadonlyMap<Tensor, Tensor>): { nodes: Tensor[]; externals: Tensor[] } {
  const nodes: Tensor[] = [];
  const externals: Tensor[] = [];
  const visit = (t: Tensor) => {
    for (const i of t.inputs) {
      if (rootOf.get(i) === root) visit(i);
      else if (!externals.includes(i)) externals.push(i);
    }
    nodes.push(t);
  };
  visit(root);
  return { nodes, externals };
}

/** One kernel computing the group's root from its externals. */
export function fusedSource(root: Tensor, nodes: readonly Tensor[], externals: readonly Tensor[]): string {
  const names = new Map<Tensor, string>();
  const lines: string[] = [];
  const indices = externals.map((e) => broadcastIndex(e.shape, root.shape));
  if (indices.some((ix) => ix !== 'i')) lines.push(coordinates(root.shape));
  externals.forEach((e, k) => {
    names.set(e, `v${k}`);
    lines.push(`const v${k} = x${k}[${indices[k]}];`);
  });
  nodes.forEach((t, k) => {
    names.set(t, `t${k}`);
    const { lines: locals, local } = localBinder(`t${k}_`);
    const value = t.op!.elementwise!(t.inputs.map((i) => names.get(i)!), t.attrs, local);
    lines.push(...locals, `const t${k} = ${value};`);
  });
  lines.push(`return t${nodes.length - 1};`);
  return kernelSource(externals.map((_, k) => `x${k}`), lines.join('\n  '));
}
