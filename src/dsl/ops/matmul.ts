// Matrix multiplication: [...B, M, K] x [K, N] or [...B, K, N], either operand optionally
// transposed (its last two axes swapped), as torch.matmul / x @ W.T.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive } from '../primitive.js';
import { registerStridedReads } from '../kernel-table.js';
import { matmulShape } from '../shape-rules.js';
import type { CheckMatmul, Matmul, Shape } from '../shape-types.js';
import { coordinates, kernelSource, singleKernel, stridesOf, type InputStrides } from '../kernel-source.js';
import { sum } from './reduce.js';
import { permute, reshape, transpose } from './layout.js';

export interface MatmulOptions {
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
}

export interface MatmulAttrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** whether b has batch dims (else it is shared by every batch of a) */
  readonly batchedB: boolean;
}

/** One matmul kernel launch: `batch` independent [m, k] x [k, n] products (op() applied per flags). */
export interface MatmulPlan extends MatmulAttrs {
  readonly batch: number;
}

/** The launch for output `out`: with b shared and a row-major, the batch is just more rows of a. */
export function matmulPlan(out: Tensor, attrs: MatmulAttrs): MatmulPlan {
  const batch = out.size / (attrs.m * attrs.n);
  return !attrs.batchedB && !attrs.transposeA ? { ...attrs, m: attrs.m * batch, batch: 1 } : { ...attrs, batch };
}

/** How a kernel reads op(x)[z][r][c] of an operand: flat index Σ z_j × batch[j] + r × row + c × col. */
export interface OperandAccess {
  /** per batch axis of the launch; 0 where the operand is shared by the batch */
  readonly batch: readonly number[];
  readonly row: number;
  readonly col: number;
}

/** A launch over operands read at any strides: the output [...batchShape, m, n] in row-major order. */
export interface StridedMatmul {
  readonly batchShape: readonly number[];
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** op(a) as [m, k] and op(b) as [k, n] */
  readonly a: OperandAccess;
  readonly b: OperandAccess;
}

/**
 * The launch for output `out` whose operands sit at `strides` (per axis, in their buffers; null:
 * row-major). Batch axes every operand walks contiguously are merged, and a row-major `a` times a
 * shared `b` is one batch of m × batch rows, so row-major operands get `matmulPlan`'s launch.
 */
export function stridedMatmul(out: Tensor, inputs: readonly Tensor[], attrs: MatmulAttrs, strides: InputStrides = []): StridedMatmul {
  const [a, b] = inputs;
  const sa = strides[0] ?? stridesOf(a.shape);
  const sb = strides[1] ?? stridesOf(b.shape);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const outBatch = out.shape.slice(0, -2);
  const aBatch = outBatch.map((_, j) => sa[j]);
  const bBatch = outBatch.map((_, j) => (attrs.batchedB ? sb[j] : 0));
  const aAccess = (batch: number[]) => ({ batch, row: sa[attrs.transposeA ? ra - 1 : ra - 2], col: sa[attrs.transposeA ? ra - 2 : ra - 1] });
  const bAccess = (batch: number[]) => ({ batch, row: sb[attrs.transposeB ? rb - 1 : rb - 2], col: sb[attrs.transposeB ? rb - 2 : rb - 1] });
  const { m, k, n } = attrs;
  // rows of a walked contiguously across the batch, b shared: more rows of one product
  const a0 = aAccess([]);
  const rowsAcross = outBatch.every((_, j) => bBatch[j] === 0 && aBatch[j] === a0.row * m * outBatch.slice(j + 1).reduce((p, d) => p * d, 1));
  if (outBatch.length && rowsAcross) return { batchShape: [], m: m * outBatch.reduce((p, d) => p * d, 1), k, n, a: a0, b: bAccess([]) };
  // merge neighbouring batch axes both operands walk as one
  const batchShape: number[] = [];
  const ab: number[] = [];
  const bb: number[] = [];
  outBatch.forEach((d, j) => {
    const last = batchShape.length - 1;
    if (last >= 0 && ab[last] === aBatch[j] * d && bb[last] === bBatch[j] * d) {
      batchShape[last] *= d;
      ab[last] = aBatch[j];
      bb[last] = bBatch[j];
    } else {
      batchShape.push(d);
      ab.push(aBatch[j]);
      bb.push(bBatch[j]);
    }
  });
  return { batchShape, m, k, n, a: aAccess(ab), b: bAccess(bb) };
}

/** Backends with their own matmul register it in the kernel table (src/dsl/kernels). */
export const matmulP: Primitive<MatmulAttrs> = definePrimitive({
  name: 'matmul',
  transforms: ['vjp', 'batch'],
  shape: ([a, b], { transposeA, transposeB }: MatmulAttrs) => matmulShape(a, b, { transposeA, transposeB }),
  lowering: { kernel: (out, inputs, attrs, strides) => singleKernel(naiveSource(stridedMatmul(out, inputs, attrs, strides)), out.size) },
  vjp: (g, _out, [a, b], { transposeA: ta, transposeB: tb, batchedB }) => {
    const mm = (x: Tensor, y: Tensor, transposeA: boolean, transposeB: boolean) => matmulRaw(x, y, { transposeA, transposeB });
    // C = op(A) op(B); dop(A) = G op(B)^T, dop(B) = op(A)^T G; transposed operands get transposed cotangents
    const ga = mm(g, b, false, !tb);
    const da = ta ? transpose(ga) : ga;
    let db: Tensor;
    if (!batchedB && a.shape.length > 2 && !ta) {
      // b is shared by the batch: fold the batch into the rows so one kernel sums over it
      const a2 = reshape(a, [a.size / a.shape[a.shape.length - 1], a.shape[a.shape.length - 1]]);
      const g2 = reshape(g, [g.size / g.shape[g.shape.length - 1], g.shape[g.shape.length - 1]]);
      db = tb ? mm(g2, a2, true, false) : mm(a2, g2, true, false);
    } else {
      db = tb ? mm(g, a, true, ta) : mm(a, g, !ta, false);
      if (!batchedB && db.shape.length > 2) db = sum(reshape(db, [db.size / b.size, ...b.shape]), 0);
    }
    return [da, db];
  },
  batch: ([a, b], [ba, bb], { transposeA, transposeB }, { size }) => batchedMatmul(a, b, ba, bb, transposeA, transposeB, size),
});
registerStridedReads(matmulP);

/**
 * The product over a batch of `size` (a batched operand has it in front). An unbatched operand is
 * never copied per example: a shared matrix b takes the batch as more rows of a; a shared b with
 * batch dims takes it next to a's rows (one permute of a); a shared a is the transposed product,
 * cᵀ = op(b)ᵀ op(a)ᵀ, so b's examples are the rows. A per-example matrix b times an a with batch
 * dims takes those dims as more rows of a.
 */
function batchedMatmul(a: Tensor, b: Tensor, ba: boolean, bb: boolean, ta: boolean, tb: boolean, size: number): Tensor {
  if (!bb && b.shape.length === 2) return matmulRaw(a, b, { transposeA: ta, transposeB: tb });
  const lead = ba ? 1 : 0;
  if (b.shape.length - (bb ? 1 : 0) === 2 && a.shape.length - lead > 2) {
    const rows = ta ? transpose(a) : a;
    const [m, k] = rows.shape.slice(-2);
    const dims = rows.shape.slice(lead, -2);
    const flat = reshape(rows, [...rows.shape.slice(0, lead), dims.reduce((p, d) => p * d, m), k]);
    const c = batchedMatmul(flat, b, ba, bb, false, tb, size);
    return reshape(c, [size, ...dims, m, c.shape[c.shape.length - 1]]);
  }
  if (!bb) return sharedRight(a, b, ta, tb);
  if (!ba) return transpose(sharedRight(b, a, !tb, !ta));
  return matmulRaw(a, b, { transposeA: ta, transposeB: tb });
}

/** x [B, ...R, ., .] (batched) times y [...R, ., .] (shared, R not empty): B joins op(x)'s rows. */
function sharedRight(x: Tensor, y: Tensor, tx: boolean, ty: boolean): Tensor {
  if (y.shape.length === 2) return matmulRaw(x, y, { transposeA: tx, transposeB: ty });
  const [size, ...inner] = x.shape;
  const r = inner.length - 2;
  const batch = inner.slice(0, r);
  const [d0, d1] = inner.slice(r);
  const dims = batch.map((_, j) => j + 1);
  // [...R, B, m, k], or [...R, k, B, m] when x is read transposed
  const folded = tx ? reshape(permute(x, [...dims, r + 1, 0, r + 2]), [...batch, d0, size * d1]) : reshape(permute(x, [...dims, 0, r + 1, r + 2]), [...batch, size * d0, d1]);
  const c = matmulRaw(folded, y, { transposeA: tx, transposeB: ty });
  const [rows, n] = c.shape.slice(r);
  return permute(reshape(c, [...batch, size, rows / size, n]), [r, ...batch.map((_, j) => j), r + 1, r + 2]);
}

/**
 * Source for a strided launch: statements splitting flat output index `index` into batch
 * coordinates and the output's row `r` and column `c`, and the flat indices of op(a)[r][l] and
 * op(b)[l][c] at those batch coordinates.
 */
export function stridedIndexers(p: StridedMatmul, index: string) {
  const batch = p.batchShape.map((_, j) => `c${j}`);
  const r = `c${batch.length}`;
  const c = `c${batch.length + 1}`;
  const term = (x: string, stride: number) => (stride === 0 ? '' : stride === 1 ? `(${x})` : `(${x}) * ${stride}`);
  const at = (o: OperandAccess, row: string, col: string) =>
    [...batch.map((z, j) => term(z, o.batch[j])), term(row, o.row), term(col, o.col)].filter(Boolean).join(' + ') || '0';
  return {
    coordinates: coordinates([...p.batchShape, p.m, p.n], index),
    r,
    c,
    a: (row: string, l: string) => at(p.a, row, l),
    b: (l: string, col: string) => at(p.b, l, col),
  };
}

/** One output cell per thread: right for the GPU backends (many threads, each a short loop). */
function naiveSource(p: StridedMatmul): string {
  const ix = stridedIndexers(p, 'i');
  return kernelSource(
    ['a', 'b'],
    [ix.coordinates, 'let acc = 0.0;', `for (let l = 0; l < ${p.k}; l++) {`, `  acc += a[${ix.a(ix.r, 'l')}] * b[${ix.b('l', ix.c)}];`, '}', 'return acc;'].join('\n  '),
  );
}

/** matmul on shapes known only at runtime (the ops built on it check their own shapes). */
export function matmulRaw(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transposeA = options.transposeA ?? false;
  const transposeB = options.transposeB ?? false;
  const ar = a.shape.length;
  const [m, k] = transposeA ? [a.shape[ar - 1], a.shape[ar - 2]] : [a.shape[ar - 2], a.shape[ar - 1]];
  const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  return apply(matmulP, [a, b], { transposeA, transposeB, m, k, n, batchedB: b.shape.length > 2 });
}

type Plain = { readonly transposeA?: false; readonly transposeB?: false };
type TransposedB = { readonly transposeA?: false; readonly transposeB: true };
type TransposedA = { readonly transposeA: true; readonly transposeB?: false };

// Overloads for code generic over dims first (the inner dim unified from `a` only, NoInfer), then
// any literal shapes, checked by CheckMatmul (whose sentence tsc prints on a mismatch).
/** [...R, M, K] x [K, N]: one matrix for every batch (a dense layer). */
export function matmul<R extends Shape, M extends number, K extends number, N extends number>(a: Tensor<[...R, M, K]>, b: Tensor<[NoInfer<K>, N]>, options?: Plain): Tensor<[...R, M, N]>;
/** [...R, M, K] x [...R, K, N]: batched (attention over heads). */
export function matmul<R extends Shape, M extends number, K extends number, N extends number, RB extends R>(a: Tensor<[...R, M, K]>, b: Tensor<[...RB, NoInfer<K>, N]>, options?: Plain): Tensor<[...R, M, N]>;
/** [...R, M, K] x [N, K]ᵀ: torch Linear's [out, in] weight. */
export function matmul<R extends Shape, M extends number, K extends number, N extends number>(a: Tensor<[...R, M, K]>, b: Tensor<[N, NoInfer<K>]>, options: TransposedB): Tensor<[...R, M, N]>;
/** [...R, M, K] x [...R, N, K]ᵀ: attention scores q kᵀ. */
export function matmul<R extends Shape, M extends number, K extends number, N extends number, RB extends R>(a: Tensor<[...R, M, K]>, b: Tensor<[...RB, N, NoInfer<K>]>, options: TransposedB): Tensor<[...R, M, N]>;
/** [...R, K, M]ᵀ x [K, N]. */
export function matmul<R extends Shape, M extends number, K extends number, N extends number>(a: Tensor<[...R, K, M]>, b: Tensor<[NoInfer<K>, N]>, options: TransposedA): Tensor<[...R, M, N]>;
/** [...R, K, M]ᵀ x [...R, K, N]: e.g. a gradient aᵀ g over a batch. */
export function matmul<R extends Shape, M extends number, K extends number, N extends number, RB extends R>(a: Tensor<[...R, K, M]>, b: Tensor<[...RB, NoInfer<K>, N]>, options: TransposedA): Tensor<[...R, M, N]>;
/**
 * a @ b. Inner dims must agree (compile-time error naming both shapes otherwise):
 * `matmul(x: [B, T, E], w: [E, F])` is [B, T, F]; with `{ transposeB: true }`, `w: [F, E]` (torch Linear).
 */
export function matmul<A extends Shape, B extends Shape, const O extends MatmulOptions = {}>(
  a: Tensor<A>,
  b: Tensor<B> & CheckMatmul<A, B, O>,
  options?: O,
): Tensor<Matmul<A, B, O>>;
export function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor {
  return matmulRaw(a, b, options);
}
