// Runtime mirror of shape-types.ts: the same shape rules over `readonly number[]`
// (shapes from files, flags, or `number` dims), throwing ShapeError with exactly
// the sentence the type level prints for the same numbers. Every function checks
// its inputs in the same order as its type, so the first error is the same one.
import type { Add, Div, HeadWidth, MatmulFlags, Mul, PatchCount } from './shape-types.js';
import { ShapeError } from './shape-error.js';

const fail = (message: string): never => {
  throw new ShapeError(message);
};
const isNat = (n: number) => Number.isSafeInteger(n) && n >= 0;
/** The operand itself when it is an integer in [0, 2^53 - 1]. */
const nat = (n: number, subject: string = `${n}`): number =>
  isNat(n) ? n : fail(`${subject} is not a non-negative safe integer`);

/** Whether two shapes are the same dims in the same order (a loop: the plan cache asks it of every node, every step). */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** A shape as messages print it: `[2,3]`. */
export const formatShape = (s: readonly number[]): string => `[${s.join(',')}]`;

/** Throws unless every dim is an integer in [0, 2^53 - 1] (reshape passes allow = -1). */
export function checkDims(s: readonly number[], allow?: number): void {
  // the message is formatted only on failure, and a dim below 2^32 passes the first test: every
  // op checks its shapes
  for (let k = 0; k < s.length; k++) {
    const d = s[k];
    if (d >>> 0 !== d && d !== allow && !isNat(d)) nat(d, `dim ${d} in ${formatShape(s)}`);
  }
}

// exactAdd / exactMul / exactDiv are typed as their type-level twins, so code that computes a dim
// (a config's token count, 3·E) keeps it in the types.
/** Exact a + b (an error above 2^53 - 1). */
export function exactAdd<A extends number, B extends number>(a: A, b: B): Add<A, B>;
export function exactAdd(a: number, b: number): number {
  nat(a), nat(b);
  return a + b <= Number.MAX_SAFE_INTEGER ? a + b : fail(`sum ${a} + ${b} exceeds 2^53 - 1`);
}
/** Exact a - b (an error when negative). */
export function exactSub(a: number, b: number): number {
  nat(a), nat(b);
  return a >= b ? a - b : fail(`difference ${a} - ${b} is negative`);
}
/** Exact a * b (an error above 2^53 - 1; a float product above it is always > 2^53 - 1 too). */
export function exactMul<A extends number, B extends number>(a: A, b: B): Mul<A, B>;
export function exactMul(a: number, b: number): number {
  nat(a), nat(b);
  return a * b <= Number.MAX_SAFE_INTEGER ? a * b : fail(`product ${a} * ${b} exceeds 2^53 - 1`);
}
/**
 * Exact a / b (a remainder is an error, never rounded). `message` spells the error; as a function it
 * is made only on failure (the shape rules run for every op).
 */
export function exactDiv<A extends number, B extends number>(a: A, b: B, message?: string | (() => string)): Div<A, B>;
export function exactDiv(a: number, b: number, message: string | (() => string) = () => `${a} is not divisible by ${b}`): number {
  nat(a), nat(b);
  if (b === 0) fail(`division by zero: ${a} / ${b}`);
  return a % b === 0 ? a / b : fail(typeof message === 'string' ? message : message());
}
/** a mod b (an error when b is 0). */
export function exactMod(a: number, b: number): number {
  nat(a), nat(b);
  return b === 0 ? fail(`division by zero: ${a} / ${b}`) : a % b;
}

/** Element count; an error above 2^53 - 1 (checked after each factor, like the type). */
export function sizeOf(s: readonly number[]): number {
  checkDims(s);
  let n = 1;
  for (const d of s) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) fail(`shape ${formatShape(s)} has more than 2^53 - 1 elements`);
  }
  return n;
}

/** Axis in [-rank, rank) as an index in [0, rank) (-1 is the last axis). */
export function normalizeAxis(axis: number, rank: number): number {
  if (!Number.isSafeInteger(axis)) fail(`axis ${axis} is not an integer`);
  if (axis < -rank || axis >= rank) fail(`axis ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}
const axisOf = (s: readonly number[], axis: number) => (checkDims(s), normalizeAxis(axis, s.length));

/** NumPy broadcasting: trailing dims align, 1 stretches. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  checkDims(a), checkDims(b);
  const out = new Array<number>(Math.max(a.length, b.length));
  for (let i = a.length - 1, j = b.length - 1, k = out.length - 1; k >= 0; i--, j--, k--) {
    const x = i >= 0 ? a[i] : 1;
    const y = j >= 0 ? b[j] : 1;
    if (i < 0 || j < 0) out[k] = i < 0 ? y : x;
    else if (x === 1 || y === 1 || x === y) out[k] = x === 1 ? y : x;
    else fail(`shapes ${formatShape(a)} and ${formatShape(b)} are not broadcastable (${x} vs ${y})`);
  }
  return out;
}

/** The broadcast of several shapes, left to right (an op's operands): equal shapes, the common case, without building one per pair. */
export function broadcastAll(shapes: readonly (readonly number[])[]): number[] {
  const [first] = shapes;
  if (first && shapes.every((s) => shapesEqual(s, first))) {
    checkDims(first);
    return first.slice();
  }
  return shapes.reduce<number[]>((out, s) => broadcastShapes(out, s), []);
}

/** [...batch, M, K] x [K, N] or [...batch, K, N]; a transposed operand has its last two axes swapped. */
export function matmulShape(a: readonly number[], b: readonly number[], options: MatmulFlags = {}): number[] {
  const ta = options.transposeA ?? false;
  const tb = options.transposeB ?? false;
  checkDims(a), checkDims(b);
  const ops = () => `${formatShape(a)}${ta ? '^T' : ''} x ${formatShape(b)}${tb ? '^T' : ''}`;
  if (a.length < 2 || b.length < 2) fail(`matmul needs operands of rank >= 2: ${ops()}`);
  const [a1, a2] = a.slice(-2);
  const [b1, b2] = b.slice(-2);
  const [m, k] = ta ? [a2, a1] : [a1, a2];
  const [k2, n] = tb ? [b2, b1] : [b1, b2];
  if (k !== k2) fail(`matmul inner dimensions differ: ${ops()} (${k} vs ${k2})`);
  const batchA = a.slice(0, -2);
  const batchB = b.slice(0, -2);
  if (batchB.length > 0 && !shapesEqual(batchA, batchB)) {
    fail(`matmul batch dimensions differ: ${ops()} (${formatShape(batchA)} vs ${formatShape(batchB)})`);
  }
  return [...batchA, m, n];
}

/** Same element count in a new shape; one -1 in `to` is inferred. */
export function reshapeShape(from: readonly number[], to: readonly number[]): number[] {
  checkDims(from), checkDims(to, -1);
  // every op's VJP reshapes: no array is made for a shape without -1
  let minus = 0;
  for (const d of to) if (d === -1) minus++;
  if (minus > 1) fail(`reshape to ${formatShape(to)} has more than one -1`);
  const nf = sizeOf(from);
  const nt = sizeOf(minus ? to.filter((d) => d !== -1) : to);
  const head = () => `reshape from ${formatShape(from)} (${nf} elements) to ${formatShape(to)}`;
  if (minus === 0) return nf === nt ? [...to] : fail(`${head()} (${nt} elements)`);
  if (nt === 0) fail(`${head()} (cannot infer -1 when the other dims multiply to 0)`);
  if (nf % nt !== 0) fail(`${head()} (${nf} is not divisible by ${nt})`);
  return to.map((d) => (d === -1 ? nf / nt : d));
}

/** Swap the last two axes. */
export function transposeShape(s: readonly number[]): number[] {
  checkDims(s);
  if (s.length < 2) fail(`transpose needs rank >= 2, got ${formatShape(s)}`);
  return [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
}

/** result[k] = s[axes[k]]; axes must be a permutation of 0..rank-1. */
export function permuteShape(s: readonly number[], axes: readonly number[]): number[] {
  checkDims(s);
  const n = s.length;
  if (axes.length !== n) fail(`permute axes ${formatShape(axes)} do not match rank ${n} of ${formatShape(s)}`);
  const seen = new Set<number>();
  for (const a of axes) {
    if (!Number.isInteger(a) || a < 0 || a >= n || seen.has(a)) {
      fail(`permute axes ${formatShape(axes)} are not a permutation of 0..${n - 1}`);
    }
    seen.add(a);
  }
  return axes.map((a) => s[a]);
}

/** Join along `axis`; the other dims must be equal. */
export function concatShape(a: readonly number[], b: readonly number[], axis: number): number[] {
  checkDims(a), checkDims(b);
  if (a.length !== b.length) fail(`concat needs equal ranks: ${formatShape(a)} and ${formatShape(b)}`);
  const ax = normalizeAxis(axis, a.length);
  a.forEach((d, i) => {
    if (i !== ax && d !== b[i]) {
      fail(`concat along axis ${ax}: ${formatShape(a)} and ${formatShape(b)} differ at axis ${i} (${d} vs ${b[i]})`);
    }
  });
  return a.map((d, i) => (i === ax ? exactAdd(d, b[i]) : d));
}

/** Keep [start, end) along `axis`; 0 <= start <= end <= dim. */
export function sliceShape(s: readonly number[], axis: number, start: number, end: number): number[] {
  const ax = axisOf(s, axis);
  nat(start, `slice start ${start}`), nat(end, `slice end ${end}`);
  if (start > end) fail(`slice start ${start} is greater than end ${end}`);
  if (end > s[ax]) fail(`slice [${start}, ${end}) exceeds dim ${s[ax]} on axis ${ax} of ${formatShape(s)}`);
  return s.map((d, i) => (i === ax ? end - start : d));
}

/** Pick `index` along `axis` and drop the axis. */
export function takeShape(s: readonly number[], axis: number, index: number): number[] {
  const ax = axisOf(s, axis);
  nat(index, `index ${index}`);
  if (index >= s[ax]) fail(`index ${index} is out of range for dim ${s[ax]} on axis ${ax} of ${formatShape(s)}`);
  return s.filter((_, i) => i !== ax);
}

/** The axes a reduction covers, in [0, rank) and ascending: all of them when `axis` is undefined. */
export function reduceAxes(s: readonly number[], axis?: number | readonly number[]): number[] {
  checkDims(s);
  if (axis === undefined) return s.map((_, k) => k);
  const list = typeof axis === 'number' ? [axis] : axis;
  const seen = new Set<number>();
  for (const a of list) {
    const x = normalizeAxis(a, s.length);
    if (seen.has(x)) fail(`axis ${a} is repeated in ${formatShape(list)}`);
    seen.add(x);
  }
  return [...seen].sort((p, q) => p - q);
}

/** Reduce (sum / mean / max) over `axis` (one, a list, or all): drop them, or keep them as 1. */
export function reduceShape(s: readonly number[], axis?: number | readonly number[], keepDims = false): number[] {
  const axes = new Set(reduceAxes(s, axis));
  return keepDims ? s.map((d, i) => (axes.has(i) ? 1 : d)) : s.filter((_, i) => !axes.has(i));
}

/**
 * A reduction with no identity (max, min, argmax, argmin) over `axis` has values to reduce: an
 * axis of 0 is an error naming it, as numpy's and JAX's (sum, prod and mean have their identities).
 */
export function nonEmptyAxes(op: string, s: readonly number[], axis?: number | readonly number[]): void {
  for (const a of reduceAxes(s, axis)) if (s[a] === 0) fail(`${op} over axis ${a} of ${formatShape(s)}: the axis is empty and ${op} has no identity`);
}

/** A leaf's shape for `count` values: the dims valid and holding exactly that many. */
export function dataShape(s: readonly number[], count: number): number[] {
  const size = sizeOf(s);
  if (count !== size) fail(`data has ${count} values but shape ${formatShape(s)} holds ${size}`);
  return [...s];
}

/** A cotangent handed to a pullback has the shape of the output it belongs to. */
export function cotangentShape(g: readonly number[], out: readonly number[]): number[] {
  if (!shapesEqual(g, out)) fail(`vjp: cotangent ${formatShape(g)} does not match output ${formatShape(out)}`);
  return [...g];
}

/** valueAndGrad differentiates a function with one value: [] or [1]. */
export function scalarShape(s: readonly number[], caller: string): number[] {
  if (sizeOf(s) !== 1) fail(`${caller}: f must return a scalar, got ${formatShape(s)}`);
  return [...s];
}

/** Operands an elementwise kernel reads at the same index: all of one shape, which it keeps. */
export function sameShape(name: string, shapes: readonly (readonly number[])[]): number[] {
  shapes.forEach((s) => checkDims(s));
  const [first] = shapes;
  for (const s of shapes) {
    if (!shapesEqual(s, first)) fail(`${name} needs operands of one shape, got ${shapes.map(formatShape).join(' and ')}`);
  }
  return [...first];
}

/** Broadcasting x (trailing-aligned) to `to`: each dim of x is 1 or the target's. */
export function broadcastToShape(x: readonly number[], to: readonly number[]): number[] {
  checkDims(x), checkDims(to);
  const offset = to.length - x.length;
  if (offset < 0 || x.some((d, k) => d !== 1 && d !== to[k + offset])) fail(`cannot broadcast ${formatShape(x)} to ${formatShape(to)}`);
  return [...to];
}

/** x placed at [start, end) of `axis` in zeros of `length` along it (the transpose of slice). */
export function padShape(x: readonly number[], axis: number, start: number, end: number, length: number): number[] {
  const ax = axisOf(x, axis);
  nat(start, `pad start ${start}`), nat(end, `pad end ${end}`), nat(length, `pad length ${length}`);
  if (end - start !== x[ax] || end > length) fail(`pad of ${formatShape(x)} to [${start}, ${end}) of ${length} on axis ${ax} does not fit`);
  return x.map((d, i) => (i === ax ? length : d));
}

/** LayerNorm normalizes the last axis: the shape is kept (rank >= 1). */
export function layerNormShape(x: readonly number[]): number[] {
  checkDims(x);
  if (x.length === 0) fail('layerNorm needs at least one axis');
  return [...x];
}

/** LayerNorm's affine part: weight and bias are [E] for rows of width E. */
export function layerNormParamsShape(x: readonly number[], weight: readonly number[], bias: readonly number[]): void {
  const e = layerNormShape(x)[x.length - 1];
  if (weight.length !== 1 || bias.length !== 1 || weight[0] !== e || bias[0] !== e) {
    fail(`layerNorm: weight ${formatShape(weight)} and bias ${formatShape(bias)} must be [${e}]`);
  }
}

/** Per-sample cross-entropy of logits [N, C] against labels [N]: [N]. */
export function crossEntropyShape(logits: readonly number[], labels: readonly number[]): number[] {
  checkDims(logits), checkDims(labels);
  if (logits.length !== 2 || labels.length !== 1 || labels[0] !== logits[0]) {
    fail(`crossEntropy: logits ${formatShape(logits)} and labels ${formatShape(labels)} must be [N, C] and [N]`);
  }
  return [logits[0]];
}

/** softmax / logSoftmax keep the shape; the axis must be valid. */
export function softmaxShape(s: readonly number[], axis = -1): number[] {
  axisOf(s, axis);
  return [...s];
}

/** Throws unless `v` is a positive integer, naming it. */
export const positive = (v: number, name: string): void => {
  if (!Number.isSafeInteger(v) || v <= 0) fail(`${name} ${v} is not a positive integer`);
};
/** E / H, the width of one attention head. */
export function headWidth<E extends number, H extends number>(e: E, h: H): HeadWidth<E, H>;
export function headWidth(e: number, h: number): number {
  return exactDiv(e, h, () => `embedDim ${e} is not divisible by heads ${h}`);
}

/** [B, T, E] -> [B, H, T, E / H]. */
export function splitHeadsShape(s: readonly number[], heads: number): number[] {
  checkDims(s);
  if (s.length !== 3) fail(`splitHeads needs [batch, tokens, embedDim], got ${formatShape(s)}`);
  positive(heads, 'heads');
  const [b, t, e] = s;
  return [b, heads, t, headWidth(e, heads)];
}

/** [B, H, T, D] -> [B, T, H * D]. */
export function mergeHeadsShape(s: readonly number[]): number[] {
  checkDims(s);
  if (s.length !== 4) fail(`mergeHeads needs [batch, heads, tokens, headDim], got ${formatShape(s)}`);
  const [b, h, t, d] = s;
  return [b, t, exactMul(h, d)];
}

/** (H/P)·(W/P), the number of P×P patches of an H×W image. */
export function patchCount<H extends number, W extends number, P extends number>(h: H, w: W, patch: P): PatchCount<H, W, P>;
export function patchCount(h: number, w: number, patch: number): number {
  const rows = exactDiv(h, patch, () => `patch ${patch} does not divide height ${h}`);
  const cols = exactDiv(w, patch, () => `patch ${patch} does not divide width ${w}`);
  return exactMul(rows, cols);
}

/** [B, C, H, W] -> [B, (H/P)·(W/P), P·P·C]: non-overlapping P×P patches, flattened (h, w, c). */
export function patchesShape(s: readonly number[], patch: number): number[] {
  checkDims(s);
  if (s.length !== 4) fail(`patchify needs [batch, channels, height, width], got ${formatShape(s)}`);
  positive(patch, 'patch');
  const [b, c, h, w] = s;
  return [b, patchCount(h, w, patch), exactMul(exactMul(patch, patch), c)];
}

/** `count` equal parts of the last axis (each `width` wide, if given): the shape of each. */
export function chunkShape(s: readonly number[], count: number, width?: number): number[] {
  checkDims(s);
  if (s.length === 0) fail('chunk needs rank >= 1, got []');
  positive(count, 'chunk count');
  const d = s[s.length - 1];
  const part = exactDiv(d, count, () => `chunk count ${count} does not divide the last dim of ${formatShape(s)}`);
  if (width !== undefined && width !== part) fail(`chunk of ${formatShape(s)} into ${count} gives width ${part}, not ${width}`);
  return [...s.slice(0, -1), part];
}
