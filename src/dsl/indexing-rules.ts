// Runtime mirror of indexing-types.ts (the same sentences, checked in the same order), the
// broadcasting rules of the indexing primitives (vmap and gather give them operands with 1s), and
// the check that index values are integers in range.
import { ShapeError } from './shape-error.js';
import { checkDims, formatShape, normalizeAxis, shapesEqual } from './shape-rules.js';

const fail = (message: string): never => {
  throw new ShapeError(message);
};

/** numpy's take: x's dims with the axis replaced by the indices' dims. */
export function gatherShape(x: readonly number[], indices: readonly number[], axis: number): number[] {
  checkDims(x), checkDims(indices);
  const a = normalizeAxis(axis, x.length);
  return [...x.slice(0, a), ...indices, ...x.slice(a + 1)];
}

/**
 * Indices of x's rank along `axis` (Op names the op), the other dims broadcast with x's (takeAlongAxis,
 * numpy's) or equal to them (scatterAdd, torch's): the result's shape, the indices' dim at the axis.
 */
export function alongAxisShape(op: 'takeAlongAxis' | 'scatterAdd', x: readonly number[], indices: readonly number[], axis: number): number[] {
  checkDims(x), checkDims(indices);
  if (x.length !== indices.length) fail(`${op} needs indices of x's rank: x ${formatShape(x)} and indices ${formatShape(indices)}`);
  const a = normalizeAxis(axis, x.length);
  const broadcast = op === 'takeAlongAxis';
  const fits = (d: number, i: number) => d === i || (broadcast && (d === 1 || i === 1));
  const k = x.findIndex((d, j) => j !== a && !fits(d, indices[j]));
  if (k >= 0) fail(`${op} along axis ${axis}: x ${formatShape(x)} and indices ${formatShape(indices)} ${broadcast ? 'do not broadcast' : 'differ'} at axis ${k} (${x[k]} vs ${indices[k]})`);
  return x.map((d, j) => (j === a || d === 1 ? indices[j] : d));
}

/** scatterAdd: indices along `axis` of x, updates shaped like the indices; the result is x's shape. */
export function scatterAddShape(x: readonly number[], indices: readonly number[], updates: readonly number[], axis: number): number[] {
  alongAxisShape('scatterAdd', x, indices, axis);
  if (!shapesEqual(updates, indices)) fail(`scatterAdd: updates ${formatShape(updates)} must have the indices' shape ${formatShape(indices)}`);
  return [...x];
}

/**
 * The dims of a and b other than `axis`, broadcast (equal, or one of them 1), with `along` at the
 * axis: the primitives' rule (a batched operand meets an unbatched one with a 1 in front).
 */
export function broadcastAlong(op: string, a: readonly number[], b: readonly number[], axis: number, along: number): number[] {
  checkDims(a), checkDims(b);
  if (a.length !== b.length || axis < 0 || axis >= a.length) fail(`${op}: operands ${formatShape(a)} and ${formatShape(b)} along axis ${axis}`);
  return a.map((d, k) => {
    if (k === axis) return along;
    if (d !== b[k] && d !== 1 && b[k] !== 1) fail(`${op}: operands ${formatShape(a)} and ${formatShape(b)} do not broadcast at axis ${k} (${d} vs ${b[k]})`);
    return d === 1 ? b[k] : d;
  });
}

/** The scatter primitive's rule: indices and updates equal at the axis, broadcast elsewhere; `length` at the axis. */
export function scatterShape(indices: readonly number[], updates: readonly number[], axis: number, length: number): number[] {
  const out = broadcastAlong('scatterAdd', indices, updates, axis, length);
  if (indices[axis] !== updates[axis]) fail(`scatterAdd: indices ${formatShape(indices)} and updates ${formatShape(updates)} differ along axis ${axis}`);
  return out;
}

/** Position of the first index that is not an integer in [0, bound) (NaN included), else -1. */
export function firstBadIndex(values: ArrayLike<number>, bound: number): number {
  for (let p = 0; p < values.length; p++) {
    const v = values[p];
    if (!(Number.isInteger(v) && v >= 0 && v < bound)) return p;
  }
  return -1;
}

/** The error for the bad index at flat position `p` of `values` (shaped `shape`). */
export function badIndexError(op: string, values: ArrayLike<number>, shape: readonly number[], p: number, bound: number, axis: number): RangeError {
  const at: number[] = [];
  let rest = p;
  for (let k = shape.length - 1; k >= 0; k--) {
    at.unshift(rest % shape[k]);
    rest = Math.floor(rest / shape[k]);
  }
  const v = values[p];
  const what = Number.isInteger(v) ? `is out of range [0, ${bound})` : 'is not an integer';
  return new RangeError(`${op}: index ${v} at ${formatShape(at)} of indices ${formatShape(shape)} ${what} along axis ${axis}`);
}
