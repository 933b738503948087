// Runtime mirror of structure-types.ts: the structure ops' shape rules over `readonly number[]`,
// throwing ShapeError with the sentence the type level prints for the same numbers, checking in the
// same order.
import { ShapeError } from './shape-error.js';
import { checkDims, concatShape, exactAdd, formatShape, normalizeAxis, reduceAxes, shapesEqual, sizeOf } from './shape-rules.js';

const fail = (message: string): never => {
  throw new ShapeError(message);
};
const isNat = (n: number) => Number.isSafeInteger(n) && n >= 0;

/** A new axis in [-(rank + 1), rank] as an index in [0, rank]. */
function newAxis(s: readonly number[], axis: number, op: string): number {
  if (!Number.isSafeInteger(axis) || axis < -(s.length + 1) || axis > s.length) fail(`${op}: axis ${axis} is out of range for a new axis of ${formatShape(s)}`);
  return axis < 0 ? axis + s.length + 1 : axis;
}
const insertAt = (s: readonly number[], at: number, d: number) => [...s.slice(0, at), d, ...s.slice(at)];

/** Equal shapes stacked along a new axis. */
export function stackShape(shapes: readonly (readonly number[])[], axis: number): number[] {
  if (shapes.length === 0) fail('stack needs at least one tensor');
  const [first] = shapes;
  checkDims(first);
  shapes.forEach((s, k) => shapesEqual(s, first) || fail(`stack: tensor ${k} has shape ${formatShape(s)} but tensor 0 has ${formatShape(first)}`));
  return insertAt(first, newAxis(first, axis, 'stack'), shapes.length);
}

/** A list joined along `axis`, pair by pair (concat's rule for each pair). */
export function concatListShape(shapes: readonly (readonly number[])[], axis: number): number[] {
  if (shapes.length === 0) fail('concat needs at least one tensor');
  if (shapes.length === 1) return checkDims(shapes[0]), normalizeAxis(axis, shapes[0].length), [...shapes[0]];
  return shapes.slice(1).reduce<number[]>((joined, s) => concatShape(joined, s, axis), [...shapes[0]]);
}

/** Without the given axes (each of dim 1), or without every dim 1 when `axis` is undefined. */
export function squeezeShape(s: readonly number[], axis?: number | readonly number[]): number[] {
  checkDims(s);
  if (axis === undefined) return s.filter((d) => d !== 1);
  const axes = reduceAxes(s, axis);
  for (const a of typeof axis === 'number' ? [axis] : axis) {
    const d = s[normalizeAxis(a, s.length)];
    if (d !== 1) fail(`squeeze: axis ${a} of ${formatShape(s)} has dim ${d}, not 1`);
  }
  return s.filter((_, k) => !axes.includes(k));
}

/** A new axis of size 1 at `axis` (in [-(rank + 1), rank]). */
export function expandDimsShape(s: readonly number[], axis: number): number[] {
  checkDims(s);
  return insertAt(s, newAxis(s, axis, 'expandDims'), 1);
}

/** torch.flatten: axes start..end merged into one (a 0-d tensor flattens to [1]). */
export function flattenShape(shape: readonly number[], start: number, end: number): number[] {
  const s = shape.length === 0 ? [1] : shape;
  checkDims(s);
  const [x, y] = [normalizeAxis(start, s.length), normalizeAxis(end, s.length)];
  if (y < x) fail(`flatten: start axis ${start} comes after end axis ${end} of ${formatShape(s)}`);
  return [...s.slice(0, x), sizeOf(s.slice(x, y + 1)), ...s.slice(y + 1)];
}

/** Each axis grown by its [before, after] widths. */
export function padWidthsShape(s: readonly number[], widths: readonly (readonly [number, number])[]): number[] {
  checkDims(s);
  if (widths.length !== s.length) fail(`pad needs one [before, after] per axis: ${widths.length} for ${formatShape(s)}`);
  widths.forEach((pair, k) => pair.forEach((w) => isNat(w) || fail(`pad width ${w} on axis ${k} is not a non-negative safe integer`)));
  return s.map((d, k) => exactAdd(exactAdd(d, widths[k][0]), widths[k][1]));
}

/** numpy's split along `axis` (normalised here): the [start, end) of each part. */
export function splitBounds(s: readonly number[], spec: number | readonly number[], axis: number): Array<[number, number]> {
  checkDims(s);
  const x = normalizeAxis(axis, s.length);
  const d = s[x];
  if (typeof spec === 'number') {
    if (!isNat(spec) || spec === 0) fail(`split sections ${spec} is not a positive integer`);
    if (d % spec !== 0) fail(`split: ${spec} sections do not divide dim ${d} on axis ${x} of ${formatShape(s)}`);
    return Array.from({ length: spec }, (_, k) => [(k * d) / spec, ((k + 1) * d) / spec]);
  }
  let prev = 0;
  const bounds: Array<[number, number]> = [];
  for (const at of spec) {
    if (!isNat(at)) fail(`${at} is not a non-negative safe integer`);
    if (at > d) fail(`split index ${at} exceeds dim ${d} on axis ${x} of ${formatShape(s)}`);
    if (at < prev) fail(`split indices ${formatShape(spec)} are not in increasing order`);
    bounds.push([prev, (prev = at)]);
  }
  return [...bounds, [prev, d]];
}

/** numpy's arange length, max(0, ceil((stop - start) / step)). */
export function arangeLength(start: number, stop: number, step: number): number {
  for (const v of [start, stop, step]) if (!Number.isFinite(v)) fail(`arange: ${v} is not a finite number`);
  if (step === 0) fail('arange: step must not be 0');
  return Math.max(0, Math.ceil((stop - start) / step));
}
