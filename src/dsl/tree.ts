// Pytrees: nested arrays and plain records whose leaves are tensors (any other value is kept as it
// is). The one place that walks them: flatten, rebuild, map and zip. Zipping trees of different
// structure is an error naming the first path where they differ.
import { Tensor } from './tensor.js';

export class TreeMismatchError extends Error {
  override name = 'TreeMismatchError';
}

/** A plain record of a pytree (not an array, not a tensor). */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tensor);
const join = (path: string, key: string | number) => (path ? `${path}.${key}` : `${key}`);
/** What a pytree node is, for error messages: "a tensor Tensor[2,3]", "an array of 2", "a record {w, b}". */
export const kind = (v: unknown) => (v instanceof Tensor ? `a tensor ${v}` : Array.isArray(v) ? `an array of ${v.length}` : isRecord(v) ? `a record {${Object.keys(v).join(', ')}}` : `${v}`);

// Walks several trees in step; `leaf` gets the tensors at one place (all trees must hold a tensor
// there) and `path` names it; containers and non-tensor leaves must agree in kind.
function zipWalk(trees: readonly unknown[], path: string, leaf: (ts: Tensor[], path: string) => unknown): unknown {
  const [first] = trees;
  const differ = (k: number) => {
    throw new TreeMismatchError(`trees differ at ${path ? `"${path}"` : 'the root'}: ${kind(first)} vs ${kind(trees[k])}`);
  };
  if (first instanceof Tensor) {
    trees.forEach((t, k) => t instanceof Tensor || differ(k));
    return leaf(trees as Tensor[], path);
  }
  if (Array.isArray(first)) {
    trees.forEach((t, k) => (Array.isArray(t) && t.length === first.length) || differ(k));
    return first.map((_, i) => zipWalk(trees.map((t) => (t as unknown[])[i]), join(path, i), leaf));
  }
  if (isRecord(first)) {
    const keys = Object.keys(first);
    trees.forEach((t, k) => (isRecord(t) && Object.keys(t).length === keys.length && keys.every((key) => key in t)) || differ(k));
    return Object.fromEntries(keys.map((key) => [key, zipWalk(trees.map((t) => (t as Record<string, unknown>)[key]), join(path, key), leaf)]));
  }
  trees.forEach((t, k) => (t instanceof Tensor || Array.isArray(t) || isRecord(t)) && differ(k));
  return first;
}

// The runtime boundary of trees: the walk rebuilds the very structure of T, which tsc cannot follow.
/** `fn` applied to the tensors at the same place of trees of one structure (checked). */
export function zipTrees<T>(trees: readonly [T, ...T[]], fn: (...ts: Tensor[]) => Tensor): T {
  return zipWalk(trees, '', (ts) => fn(...ts)) as T;
}

/** Maps every tensor of a tree (with its path, e.g. "encoder.0.mlp.fc1.weight"), keeping the structure. */
export function mapTree<T>(tree: T, fn: (t: Tensor, path: string) => Tensor): T {
  return zipWalk([tree], '', ([t], path) => fn(t, path)) as T;
}

/** Every tensor of a tree with its path, depth first in key order. */
export function treeLeaves(tree: unknown): Array<[string, Tensor]> {
  const out: Array<[string, Tensor]> = [];
  zipWalk([tree], '', ([t], path) => out.push([path, t]));
  return out;
}

/** Every tensor of a tree, depth first in key order. */
export function tensorsIn(tree: unknown): Tensor[] {
  return treeLeaves(tree).map(([, t]) => t);
}

/** The tree `template` with its tensors replaced, in order, by `leaves` (as many as it holds). */
export function unflatten<T>(template: T, leaves: readonly Tensor[]): T {
  const count = tensorsIn(template).length;
  if (leaves.length !== count) throw new TreeMismatchError(`the tree holds ${count} tensors, got ${leaves.length}`);
  let k = 0;
  return mapTree(template, () => leaves[k++]);
}
