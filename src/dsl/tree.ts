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
// parameters several times, so the walk makes no array or closure per node beyond the result.
// `leaf` must not keep the array it is given (it is reused for the next place).
function zipWalk(trees: readonly unknown[], leaf: (ts: Tensor[], path: () => string) => unknown): unknown {
  const keys: Array<string | number> = [];
  const path = () => keys.join('.');
  const n = trees.length;
  const differ = (at: readonly unknown[], k: number): never => {
    throw new TreeMismatchError(`trees differ at ${keys.length ? `"${path()}"` : 'the root'}: ${kind(at[0])} vs ${kind(at[k])}`);
  };
  const walk = (at: unknown[]): unknown => {
    const first = at[0];
    if (first instanceof Tensor) {
      for (let k = 1; k < n; k++) if (!(at[k] instanceof Tensor)) differ(at, k);
      return leaf(at as Tensor[], path);
    }
    if (Array.isArray(first)) {
      for (let k = 1; k < n; k++) if (!(Array.isArray(at[k]) && (at[k] as unknown[]).length === first.length)) differ(at, k);
      const out: unknown[] = new Array(first.length);
      const below: unknown[] = new Array(n);
      for (let i = 0; i < first.length; i++) {
        for (let k = 0; k < n; k++) below[k] = (at[k] as unknown[])[i];
        keys.push(i);
        out[i] = walk(below);
        keys.pop();
      }
      return out;
    }
    if (isRecord(first)) {
      const names = Object.keys(first);
      for (let k = 1; k < n; k++) {
        const t = at[k];
        if (!(isRecord(t) && Object.keys(t).length === names.length && names.every((name) => name in t))) differ(at, k);
      }
      const out: Record<string, unknown> = {};
      const below: unknown[] = new Array(n);
      for (const name of names) {
        for (let k = 0; k < n; k++) below[k] = (at[k] as Record<string, unknown>)[name];
        keys.push(name);
        const value = walk(below);
        keys.pop();
        // as Object.fromEntries would: an own field even for the name __proto__
        if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
        else out[name] = value;
      }
      return out;
    }
    for (let k = 1; k < n; k++) if (at[k] instanceof Tensor || Array.isArray(at[k]) || isRecord(at[k])) differ(at, k);
    return first;
  };
  return walk(trees.slice());
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
