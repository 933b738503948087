// Matrix multiplication: [...B, M, K] x [K, N] or [...B, K, N], either operand optionally
// transposed (its last two axes swapped), as torch.matmul / x @ W.T.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { matmulShape } from '../shape-rules.js';
import type { CheckMatmul, Matmul, Shape } from '../shape-types.js';
import { coordinates, kernelSource, singleKernel } from '../kernel-source.js';
import { sum } from './reduce.js';
import { reshape, transpose } from './layout.js';

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

/** Backends with their own matmul register it in the kernel table (src/dsl/kernels). */
export const matmulP: Primitive<MatmulAttrs> = {
  name: 'matmul',
  shape: ([a, b], { transposeA, transposeB }) => matmulShape(a, b, { transposeA, transposeB }),
  lower: (out, _in, attrs) => {
    return singleKernel(naiveSource(matmulPlan(out, attrs)), out.size);
  },
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
};

/** Source expressions for the flat indices of op(a)[z][r][l] and op(b)[z][l][c]. */
export function matmulIndexers(p: MatmulPlan, z: string) {
  const aBase = p.batch > 1 ? `${z} * ${p.m * p.k} + ` : '';
  const bBase = p.batch > 1 && p.batchedB ? `${z} * ${p.k * p.n} + ` : '';
  return {
    a: (r: string, l: string) => (p.transposeA ? `${aBase}(${l}) * ${p.m} + (${r})` : `${aBase}(${r}) * ${p.k} + (${l})`),
    b: (l: string, c: string) => (p.transposeB ? `${bBase}(${c}) * ${p.k} + (${l})` : `${bBase}(${l}) * ${p.n} + (${c})`),
  };
}


/** One output cell per thread: right for the GPU backends (many threads, each a short loop). */
function naiveSource(p: MatmulPlan): string {
  const ix = matmulIndexers(p, 'c0');
  return kernelSource(
    ['a', 'b'],
    [coordinates([p.batch, p.m, p.n]), 'let acc = 0.0;', `for (let l = 0; l < ${p.k}; l++) {`, `  acc += a[${ix.a('c1', 'l')}] * b[${ix.b('l', 'c2')}];`, '}', 'return acc;'].join('\n  '),
  );
}

function matmulRaw(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
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
