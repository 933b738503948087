// Pytrees: nested arrays and plain records whose leaves are tensors (any other value is kept as it
// is). The one place that walks them: flatten, rebuild, map and zip. Zipping trees of different
// structure is an error naming the first path where they differ.
import { Tensor } from './tensor.js';

export class TreeMismatchError extends Error {
  override name = 'TreeMismatchError';
}

/** A record node of a pytree: any object that is not an array or a tensor (class instances too). */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tensor);
/** An object literal (prototype Object.prototype; not a class instance, Map or Date): a record that is nothing but its fields. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
/** What a pytree node is, for error messages: "a tensor Tensor[2,3]", "an array of 2", "a record {w, b}". */
export const kind = (v: unknown) => (v instanceof Tensor ? `a tensor ${v}` : Array.isArray(v) ? `an array of ${v.length}` : isRecord(v) ? `a record {${Object.keys(v).join(', ')}}` : `${v}`);

// Walks several trees in step; `leaf` gets the tensors at one place (all trees must hold a tensor
// there) and `path()` names it; containers and non-tensor leaves must agree in kind. The path is
// spelled only when asked for (an error, a checkpoint's names): every training step walks the
// parameters several times.
function zipWalk(trees: readonly unknown[], leaf: (ts: Tensor[], path: () => string) => unknown): unknown {
  const keys: Array<string | number> = [];
  const path = () => keys.join('.');
  const walk = (at: readonly unknown[]): unknown => {
    const [first] = at;
    const differ = (k: number) => {
      throw new TreeMismatchError(`trees differ at ${keys.length ? `"${path()}"` : 'the root'}: ${kind(first)} vs ${kind(at[k])}`);
    };
    const below = (key: string | number, values: unknown[]) => {
      keys.push(key);
      const out = walk(values);
      keys.pop();
      return out;
    };
    if (first instanceof Tensor) {
      for (let k = 1; k < at.length; k++) if (!(at[k] instanceof Tensor)) differ(k);
      return leaf(at as Tensor[], path);
    }
    if (Array.isArray(first)) {
      for (let k = 1; k < at.length; k++) if (!(Array.isArray(at[k]) && (at[k] as unknown[]).length === first.length)) differ(k);
      return first.map((_, i) => below(i, at.map((t) => (t as unknown[])[i])));
    }
    if (isRecord(first)) {
      const names = Object.keys(first);
      for (let k = 1; k < at.length; k++) {
        const t = at[k];
        if (!(isRecord(t) && Object.keys(t).length === names.length && names.every((name) => name in t))) differ(k);
      }
      return Object.fromEntries(names.map((name) => [name, below(name, at.map((t) => (t as Record<string, unknown>)[name]))]));
    }
    for (let k = 1; k < at.length; k++) if (at[k] instanceof Tensor || Array.isArray(at[k]) || isRecord(at[k])) differ(k);
    return first;
  };
  return walk(trees);
}

// The runtime boundary of trees: the walk rebuilds the very structure of T, which tsc cannot follow.
/** `fn` applied to the tensors at the same place of trees of one structure (checked). */
export function zipTrees<T>(trees: readonly [T, ...T[]], fn: (...ts: Tensor[]) => Tensor): T {
  return zipWalk(trees, (ts) => fn(...ts)) as T;
}

/** Maps every tensor of a tree (with its path, e.g. "encoder.0.mlp.fc1.weight"), keeping the structure. */
export function mapTree<T>(tree: T, fn: (t: Tensor, path: string) => Tensor): T {
  return zipWalk([tree], ([t], path) => fn(t, path())) as T;
}

/** Every tensor of a tree with its path, depth first in key order. */
export function treeLeaves(tree: unknown): Array<[string, Tensor]> {
  const out: Array<[string, Tensor]> = [];
  zipWalk([tree], ([t], path) => out.push([path(), t]));
  return out;
}

/** Every tensor of a tree, depth first in key order. */
export function tensorsIn(tree: unknown, out: Tensor[] = []): Tensor[] {
  if (tree instanceof Tensor) out.push(tree);
  else if (Array.isArray(tree)) for (const v of tree) tensorsIn(v, out);
  else if (isRecord(tree)) for (const name in tree) if (Object.hasOwn(tree, name)) tensorsIn(tree[name], out);
  return out;
}

/** The tree `template` with its tensors replaced, in order, by `leaves` (as many as it holds). */
export function unflatten<T>(template: T, leaves: readonly Tensor[]): T {
  const count = tensorsIn(template).length;
  if (leaves.length !== count) throw new TreeMismatchError(`the tree holds ${count} tensors, got ${leaves.length}`);
  let k = 0;
  return zipWalk([template], () => leaves[k++]) as T;
}
