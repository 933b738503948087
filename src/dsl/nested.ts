// Nested number arrays as `tensor` takes them without a shape: the shape is the nesting, in the
// type (`[[1, 2, 3], [4, 5, 6]]` is [2, 3]) and at runtime, where ragged input is refused naming
// the first element whose shape differs.
import { ShapeError } from './shape-error.js';
import { formatShape } from './shape-rules.js';

/** A number or a (nested) array of numbers. */
export type Nested = number | readonly Nested[];

/** Every element of a tuple has shape `S`. */
type AllShaped<T extends readonly unknown[], S> = T extends readonly [infer H, ...infer R] ? ([NestedShape<H>] extends [S] ? ([S] extends [NestedShape<H>] ? AllShaped<R, S> : false) : false) : true;

/** The shape of a nested array literal (`number` dims for non-literal arrays); `never` when ragged. */
export type NestedShape<T> = T extends number
  ? []
  : T extends readonly []
    ? [0]
  : T extends readonly [infer H, ...infer R]
    ? AllShaped<R, NestedShape<H>> extends true
      ? [T['length'], ...NestedShape<H>]
      : never
    : T extends readonly (infer E)[]
      ? [number, ...NestedShape<E>]
      : never;

/** `unknown` for a rectangular nested array, else an error naming the problem (as the runtime says it). */
export type CheckNested<T> = [NestedShape<T>] extends [never] ? ShapeError<'tensor: ragged nested array (rows of different lengths); give equal-length rows'> : unknown;

/** The shape of nested data and its values in row-major order; ragged or non-numeric input throws. */
export function nestedShape(data: unknown): { shape: number[]; values: number[] } {
  const values: number[] = [];
  const walk = (d: unknown, path: string): number[] => {
    if (typeof d === 'number') {
      values.push(d);
      return [];
    }
    if (!Array.isArray(d)) throw new ShapeError(`tensor: ${path ? `element ${path}` : 'the data'} is ${d === null ? 'null' : typeof d}, not a number or an array`);
    const shapes = d.map((e, k) => walk(e, `${path}[${k}]`));
    const k = shapes.findIndex((s) => formatShape(s) !== formatShape(shapes[0]));
    if (k >= 0) {
      throw new ShapeError(`tensor: ragged nested array: element ${path}[${k}] has shape ${formatShape(shapes[k])} but element ${path}[0] has shape ${formatShape(shapes[0])}; give equal-length rows`);
    }
    return [d.length, ...(shapes[0] ?? [])];
  };
  return { shape: walk(data, ''), values };
}
