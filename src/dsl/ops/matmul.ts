// Matrix multiplication: [...B, M, K] x [K, N] or [...B, K, N], either operand optionally
// transposed (its last two axes swapped), as torch.matmul / x @ W.T.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { matmulShape } from '../shape-rules.js';
import type { CheckMatmul, Matmul, Shape } from '../shape-types.js';
import { coordinates, kernelSource } from '../kernel-source.js';
import type { Backend, Storage } from '../backend.js';
import { sum } from './reduce.js';
import { reshape, transpose } from './layout.js';

export interface MatmulOptions {
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
}

interface Attrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** whether b has batch dims (else it is shared by every batch of a) */
  readonly batchedB: boolean;
}

/** One matmul kernel launch: `batch` independent [m, k] x [k, n] products (op() applied per flags). */
interface Plan extends Attrs {
  readonly batch: number;
}

const matmulP: Primitive<Attrs> = {
  name: 'matmul',
  lower: (out, _in, attrs) => {
    const batch = out.size / (attrs.m * attrs.n);
    // with b shared and a row-major, the batch is just more rows of a: one product, fewer padded rows
    const p: Plan = !attrs.batchedB && !attrs.transposeA ? { ...attrs, m: attrs.m * batch, batch: 1 } : { ...attrs, batch };
    return (backend, args) => {
      if (backend.name === 'webasm') return blockedWasm(backend, args, p);
      if (backend.name === 'cpu') return rowPlanesCpu(backend, args, p);
      return backend.run({ source: naiveSource(p), length: out.size }, args);
    };
  },
  vjp: (g, _out, [a, b], { transposeA: ta, transposeB: tb, batchedB }) => {
    const mm = (x: Tensor, y: Tensor, transposeA: boolean, transposeB: boolean) => matmulRaw(x, y, { transposeA, transposeB });
    // C = op(A) op(B); dop(A) = G op(B)^T, dop(B) = op(A)^T G; transposed operands get transposed cotangents
    const ga = mm(g, b, false, !tb);
    const da = ta ? transpose(ga) : ga;
    let db: Tensor;
    if (!batchedB && a.shape.length > 2 && !ta) {
      // b is shared by the batch: fold the batch into the rows so one kernel sums over it
      const a2 = reshape(a as Tensor, [a.size / a.shape[a.shape.length - 1], a.shape[a.shape.length - 1]]);
      const g2 = reshape(g as Tensor, [g.size / g.shape[g.shape.length - 1], g.shape[g.shape.length - 1]]);
      db = tb ? mm(g2, a2, true, false) : mm(a2, g2, true, false);
    } else {
      db = tb ? mm(g, a, true, ta) : mm(a, g, !ta, false);
      if (!batchedB && db.shape.length > 2) db = sum(reshape(db, [db.size / b.size, ...b.shape]), 0);
    }
    return [da, db];
  },
};

/** Source expressions for the flat indices of op(a)[z][r][l] and op(b)[z][l][c]. */
function indexers(p: Plan, z: string) {
  const aBase = p.batch > 1 ? `${z} * ${p.m * p.k} + ` : '';
  const bBase = p.batch > 1 && p.batchedB ? `${z} * ${p.k * p.n} + ` : '';
  return {
    a: (r: string, l: string) => (p.transposeA ? `${aBase}(${l}) * ${p.m} + (${r})` : `${aBase}(${r}) * ${p.k} + (${l})`),
    b: (l: string, c: string) => (p.transposeB ? `${bBase}(${c}) * ${p.k} + (${l})` : `${bBase}(${l}) * ${p.n} + (${c})`),
  };
}

const lines = (...ls: readonly string[]) => ls.join('\n  ');
const dims = (x: number, y: number, z: number) => (z > 1 ? [x, y, z] : [x, y]);
const rows4 = [0, 1, 2, 3];
const sums4 = rows4.map((j) => `let s${j} = 0.0;`);

/** One output cell per thread: right for the GPU backends (many threads, each a short loop). */
function naiveSource(p: Plan): string {
  const ix = indexers(p, 'c0');
  return kernelSource(
    ['a', 'b'],
    lines(coordinates([p.batch, p.m, p.n]), 'let acc = 0.0;', `for (let l = 0; l < ${p.k}; l++) {`, `  acc += a[${ix.a('c1', 'l')}] * b[${ix.b('l', 'c2')}];`, '}', 'return acc;'),
  );
}

/**
 * webasm runs 4 adjacent thread.x cells as one f32x4 step: a load whose index depends on thread.x
 * is a 4-lane gather (4 scalar loads), one indexed only by thread.y/z and the loop is a single
 * scalar load. So x = output column and y = a block of 4 rows, returned as Array(4): per step of
 * the k loop, one gather of b and 4 scalar loads of a feed 16 multiply-adds (the one-cell kernel
 * gathers both operands for 4). Indices use thread ids inline and `l | 0`: gpu.js's wasm backend
 * makes every declared local, loop counters included, an f32, and f32 index math costs
 * conversions per load. Output: [batch, m/4, n padded to whole quads, 4], then permuted.
 */
async function blockedWasm(backend: Backend, [a, b]: readonly Storage[], p: Plan): Promise<Storage> {
  const mb = Math.ceil(p.m / 4);
  const np = Math.ceil(p.n / 4) * 4;
  const ix = indexers(p, 'this.thread.z');
  // rows past m (last block) re-read row m - 1; columns past n read wherever gpu.js clamps the
  // gather to inside b; both only fill padding that the permute drops
  const row = (j: number) => {
    const r = `this.thread.y * 4 + ${j}`;
    return p.m % 4 && j > 0 ? `${r} < ${p.m} ? ${r} : ${p.m - 1}` : r;
  };
  // one step of the k loop at index expression `l`, unrolled by 4 (measured ~10% faster)
  const step = (l: string, bv: string) => [`const ${bv} = b[${ix.b(l, 'this.thread.x')}];`, ...rows4.map((j) => `s${j} += a[${ix.a(row(j), l)}] * ${bv};`)];
  const k4 = p.k - (p.k % 4);
  const body = lines(
    ...sums4,
    `for (let l = 0; l < ${k4}; l += 4) {`,
    ...rows4.flatMap((u) => step(u ? `(l | 0) + ${u}` : '(l | 0)', `b${u}`)).map((s) => `  ${s}`),
    '}',
    ...Array.from({ length: p.k - k4 }, (_, t) => step(String(k4 + t), `t${t}`)).flat(),
    'return [s0, s1, s2, s3];',
  );
  const blocks = await backend.run(
    { source: kernelSource(['a', 'b'], body), length: p.batch * mb * np * 4, output: dims(np, mb, p.batch) },
    [a, b],
  );
  try {
    const permute = `return p[((this.thread.z * ${mb} + (this.thread.y >> 2)) * ${np} + this.thread.x) * 4 + (this.thread.y & 3)];`;
    return await backend.run({ source: kernelSource(['p'], permute), length: p.batch * p.m * p.n, output: dims(p.n, p.m, p.batch) }, [blocks]);
  } finally {
    backend.release(blocks);
  }
}

/**
 * cpu kernels are plain JS, one call per cell; the one-cell kernel does 2 loads per multiply-add,
 * one of them strided. Here both operands are read along k contiguously (the ones stored the other
 * way are transposed first: O(size) copies), and each thread makes 4 outputs sharing every load of
 * b: rows r, r + m/4, r + 2m/4, r + 3m/4 of its batch, so the kernel map's 4 outputs are 4 blocks
 * of rows (for one batch and 4 | m, concatenated they are the result; else a permute follows).
 * Not Array(4) returns: on cpu they allocate a Float32Array per cell.
 */
async function rowPlanesCpu(backend: Backend, [a, b]: readonly Storage[], p: Plan): Promise<Storage> {
  const mq = Math.ceil(p.m / 4);
  const body = lines(
    coordinates([p.batch, mq, p.n]),
    ...rows4.map((j) => `const a${j} = c0 * ${p.m * p.k} + Math.min(c1 + ${j * mq}, ${p.m - 1}) * ${p.k};`),
    `const bc = ${p.batchedB ? `c0 * ${p.n * p.k} + ` : ''}c2 * ${p.k};`,
    ...sums4,
    `for (let l = 0; l < ${p.k}; l++) {`,
    '  const bv = b[bc + l];',
    ...rows4.map((j) => `  s${j} += a[a${j} + l] * bv;`),
    '}',
    'out1(s1);',
    'out2(s2);',
    'out3(s3);',
    'return s0;',
  );
  const temps: Storage[] = [];
  try {
    if (p.transposeA) temps.push((a = await transposed(backend, a, p.batch, p.k, p.m)));
    if (!p.transposeB) temps.push((b = await transposed(backend, b, p.batchedB ? p.batch : 1, p.k, p.n)));
    const planes = await backend.run({ source: kernelSource(['a', 'b'], body), length: 4 * p.batch * mq * p.n, extraOutputs: 3 }, [a, b]);
    if (p.batch === 1 && 4 * mq === p.m) return planes;
    temps.push(planes);
    const permute = lines(coordinates([p.batch, p.m, p.n]), `const j = Math.floor(c1 / ${mq});`, `return p[((j * ${p.batch} + c0) * ${mq} + c1 - j * ${mq}) * ${p.n} + c2];`);
    return await backend.run({ source: kernelSource(['p'], permute), length: p.batch * p.m * p.n }, [planes]);
  } finally {
    for (const t of temps) backend.release(t);
  }
}

/** x [batch, rows, cols] as [batch, cols, rows]. */
function transposed(backend: Backend, x: Storage, batch: number, rows: number, cols: number): Promise<Storage> {
  const source = kernelSource(['x'], lines(coordinates([batch, cols, rows]), `return x[c0 * ${rows * cols} + c2 * ${cols} + c1];`));
  return backend.run({ source, length: batch * rows * cols }, [x]);
}

function matmulRaw(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transposeA = options.transposeA ?? false;
  const transposeB = options.transposeB ?? false;
  const out = matmulShape(a.shape, b.shape, { transposeA, transposeB });
  const ar = a.shape.length;
  const [m, k] = transposeA ? [a.shape[ar - 1], a.shape[ar - 2]] : [a.shape[ar - 2], a.shape[ar - 1]];
  const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  return apply(matmulP, [a, b], out, { transposeA, transposeB, m, k, n, batchedB: b.shape.length > 2 });
}

/** In code generic over dims: the inner dim is unified from `a` only (NoInfer), so [M, K] x [K, N] checks. */
export function matmul<M extends number, K extends number, N extends number>(a: Tensor<[M, K]>, b: Tensor<[NoInfer<K>, N]>): Tensor<[M, N]>;
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
