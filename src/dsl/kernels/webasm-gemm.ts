// webasm's matmul: a WebAssembly SIMD GEMM generated per shape (sizes, strides and transposes
// baked in as constants, like gpu.js kernels), run over its operands where webasm's storage is (the
// thread team's memory; else a copy in one growable wasm memory); a large one is cut into chunks by
// batches, columns or rows, each its own generated function, that the team's threads take in turn
// (wasm-threads.ts), each thread packing into its own scratch. op(B) is packed into zero-padded panels of NR columns; each MR x NR tile of C
// keeps its sums in MR * NR / 4 f32x4 registers: per k, NR / 4 vector loads of the panel and
// MR broadcast loads of op(A) feed MR * NR multiply-adds (the XNNPACK "splat" micro-kernel shape),
// each one relaxed_madd where the engine has relaxed SIMD (wasm-features.ts), else a mul and an add.
// An epilogue (an elementwise group reading C: bias, GELU, a residual add) is applied to each tile's
// sums as they are stored, so C never goes through memory before it.
import type { MatmulPlan } from '../ops/matmul.js';
import { FunctionBody, i32, moduleBytes, v128 } from './wasm-emit.js';
import { Simd, type SimdValue } from './wasm-simd.js';
import { relaxedSimd } from './wasm-features.js';
import { maxPages, threadTeam } from './wasm-threads.js';
import { heapArrays } from './wasm-arrays.js';
import { wasmMemory } from './wasm-heap.js';
import { platform } from '#platform';

/** Tile rows and f32x4 vectors per tile row; 4 x 8 leaves registers for the panel and the splat. */
const MR = 4;
const NV = 2;
const NR = 4 * NV;
/** k steps per loop iteration (immediate offsets instead of pointer bumps). */
const UNROLL = 2;
/** The most k steps of one k block (kBlocks). */
const KC = 16;

/** Whether op(A) = Aᵀ is packed (per row block, or whole when panels are outer): when one batch of A exceeds 64 KiB. */
const packsA = (p: MatmulPlan) => p.transposeA && p.m * p.k * 4 > 1 << 16;

/**
 * Whether the panel loop is outside the row-block loop: each panel of op(B) is packed, then every
 * row block of op(A) multiplies it while it is in L1, so B is read once and A once per panel. Else
 * all of B is packed first and reread for every row block, which is right while packed B stays in
 * cache and costs a pass over memory per row block when it does not (a conv's [576, 32768]
 * windows: 16 passes over 75 MB, and 75 MB of scratch per thread). Panels go outside when packed B
 * is over 4 MiB and A is small (in L2) or a quarter of B at most (a conv's weight gradient: A
 * [64, 32768], measured 1.25x faster in one process; the ViT's shapes keep rows outside).
 */
export const panelsOuter = (p: MatmulPlan) => {
  const [aBytes, bBytes] = [p.m * p.k * 4, p.k * p.n * 4];
  return bBytes > 1 << 22 && (aBytes <= 1 << 19 || 4 * aBytes <= bBytes);
};

/**
 * The k blocks a GEMM with rows outside runs in turn, C's tiles stored after each and reloaded by
 * the next (GotoBLAS's kc blocking): `count` blocks of `size` k steps, the last one `last`; one
 * block unless k is over 2 KC. A block's panels of B (KC x n: 4 KiB for the quick preset's n = 64,
 * 72 KiB for n = 1152) are reread for every row block from L1 instead of L2, at the price of C's
 * tiles loaded and stored once per block. Measured on the quick and small configs' step shapes, one
 * thread, one process, old and new builds alternating (bench/vit-matmuls.ts): k = 64 to 2176 from
 * 25-33 to 36-40 GFLOP/s; KC 32: 33-37, 64: 32, 256: 27.
 */
export function kBlocks(p: MatmulPlan): { readonly count: number; readonly size: number; readonly last: number } {
  if (panelsOuter(p) || p.k <= 2 * KC) return { count: 1, size: p.k, last: p.k };
  const size = Math.ceil(p.k / Math.ceil(p.k / KC) / UNROLL) * UNROLL;
  const count = Math.ceil(p.k / size);
  return { count, size, last: p.k - (count - 1) * size };
}

/** Which batches, rows and columns of C a part computes (half-open ranges; columns in whole panels but the last). */
interface Part {
  readonly batches: readonly [number, number];
  readonly rows: readonly [number, number];
  readonly cols: readonly [number, number];
}

/** How an epilogue operand is read at C's element (row, column): C's own index, the column, or one value. */
export type EpilogueAccess = 'full' | 'column' | 'scalar';

/** An elementwise computation applied to C as it is stored: its value from C's vector and the operands'. */
export interface EpilogueCode {
  /** the key of the computation (compiled kernels are cached by it) */
  readonly key: string;
  readonly access: readonly EpilogueAccess[];
  /** the stored vector from C's vector and one vector per operand, in order */
  readonly value: (s: Simd, c: SimdValue, operands: readonly SimdValue[]) => SimdValue;
}

/**
 * The generated function `run(a, b, c, pack, ...operands)` (byte offsets of op(A), op(B), C, the
 * pack scratch and the epilogue's operands) computing `part` of C, over a shared memory when `shared`.
 */
function emitGemm(p: MatmulPlan, part: Part, shared: boolean, epilogue: EpilogueCode | null): Uint8Array {
  const { m, k, n } = p;
  // element strides: op(A)[r][l] = a[r * ar + l * al], op(B)[l][j] = b[l * bl + j * bj]
  const [ar, al] = p.transposeA ? [1, m] : [k, 1];
  const [bl, bj] = p.transposeB ? [1, k] : [n, 1];
  const outer = panelsOuter(p);
  const [colFrom, colTo] = part.cols;
  const fullPanels = Math.floor((colTo - colFrom) / NR);
  const tailCols = (colTo - colFrom) % NR;
  const access = epilogue?.access ?? [];
  const f = new FunctionBody(4 + access.length);
  const [a, b, c, pack] = [0, 1, 2, 3];
  const operand = (x: number) => 4 + x;
  const simd = new Simd(f);
  const [src, dst, aRow, aBlock, cRow, cPanel, pa, pb, pc, aK, bK] = Array.from({ length: 11 }, () => f.local(i32));
  const acc = Array.from({ length: MR }, () => Array.from({ length: NV }, () => f.local(v128)));
  const bv = Array.from({ length: NV }, () => f.local(v128));
  const av = f.local(v128);
  // op(A) = Aᵀ larger than the cache: a row block's k columns are strided rows of A (a new cache
  // line per k step, reread for every panel), so it is first copied contiguous into the scratch
  // after B's panels (measured: dW 9.7 -> 11.3 GFLOP/s; small attention shapes lose by it)
  const packedA = packsA(p);
  const blocks = kBlocks(p);
  const packAAt = (outer ? NR : Math.ceil(n / NR) * NR) * blocks.size * 4;
  const [stepA, rowA] = packedA ? [MR, 1] : [al, ar];
  const relaxed = relaxedSimd();
  // an operand read like C: its byte distance from C, taken before C is moved per batch
  const distance = access.map((kind, x) => {
    if (kind !== 'full') return -1;
    const local = f.local(i32);
    f.get(operand(x)).get(c).i32Sub().set(local);
    return local;
  });
  // byte offset in C's row of the current tile's first column (operands read by column)
  const column = f.local(i32);
  // operand x's vector at C's byte offset `at` from the tile (vector v of its row); a partial
  // tile's loads run past its last column, into memory the operands are followed by
  const operandVector = (kind: EpilogueAccess, x: number, at: number, v: number): SimdValue => {
    if (kind === 'scalar') f.get(operand(x)).v128Load32Splat();
    else if (kind === 'column') f.get(operand(x)).get(column).i32Add().v128Load(v * 16);
    else f.get(pc).get(distance[x]).i32Add().v128Load(at);
    const local = f.local(v128);
    f.set(local);
    return local;
  };

  // op(B)'s columns from src -> a panel at dst: [l][0..NR) for `steps` k steps, columns past `cols` zero
  const packPanel = (cols: number, steps = k) => {
    f.repeat(steps, () => {
      if (cols === NR && bj === 1) {
        for (let v = 0; v < NV; v++) f.get(dst).get(src).v128Load(v * 16).v128Store(v * 16);
      } else {
        for (let j = 0; j < NR; j++) {
          f.get(dst);
          if (j < cols) f.get(src).f32Load(j * bj * 4).f32Store(j * 4);
          else f.i32Const(0).i32Store(j * 4);
        }
      }
      f.bump(src, bl * 4).bump(dst, NR * 4);
    });
    f.bump(src, NR * bj * 4 - steps * bl * 4);
  };
  // the panels of `steps` k steps from B's byte offset `from` (rows outside: a part has every column)
  const packB = (from = b, steps = k) => {
    f.get(from).set(src).get(pack).set(dst);
    f.repeat(fullPanels, () => packPanel(NR, steps));
    if (tailCols) packPanel(tailCols, steps);
  };

  // one k step `u` of a rows x NR tile, reading at immediate offsets from pa and pb
  const step = (rows: number, u: number) => {
    for (let v = 0; v < NV; v++) f.get(pb).v128Load((u * NR + v * 4) * 4).set(bv[v]);
    for (let r = 0; r < rows; r++) {
      f.get(pa).v128Load32Splat((u * stepA + r * rowA) * 4).set(av);
      for (let v = 0; v < NV; v++) {
        if (relaxed) f.get(av).get(bv[v]).get(acc[r][v]).f32x4RelaxedMadd().set(acc[r][v]);
        else f.get(acc[r][v]).get(av).get(bv[v]).f32x4Mul().f32x4Add().set(acc[r][v]);
      }
    }
  };
  // the rows x cols tile of op(A) rows at aBlock and the panel at pb over `steps` k steps, stored at
  // pc (then the next tile's): started from zero in the first k block, else from C's stored sums
  // (a partial tile's loads run past its last column, lanes never stored); the epilogue in the last
  const tile = (rows: number, cols: number, steps = k, first = true, last = true) => {
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < NV; v++) {
        if (first) f.v128Zero().set(acc[r][v]);
        else f.get(pc).v128Load((r * n + v * 4) * 4).set(acc[r][v]);
      }
    }
    f.get(aBlock).set(pa);
    f.repeat(Math.floor(steps / UNROLL), () => {
      for (let u = 0; u < UNROLL; u++) step(rows, u);
      f.bump(pa, UNROLL * stepA * 4).bump(pb, UNROLL * NR * 4);
    });
    for (let u = 0; u < steps % UNROLL; u++) step(rows, u);
    f.bump(pb, (steps % UNROLL) * NR * 4);
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < Math.ceil(cols / 4); v++) {
        const at = (r * n + v * 4) * 4;
        const value = epilogue && last ? epilogue.value(simd, acc[r][v], access.map((kind, x) => operandVector(kind, x, at, v))) : acc[r][v];
        if (cols === NR) f.get(pc).get(value).v128Store(at);
        else for (let lane = 0; lane < Math.min(4, cols - v * 4); lane++) f.get(pc).get(value).f32x4ExtractLane(lane).f32Store(at + lane * 4);
      }
    }
    f.bump(pc, NR * 4);
  };
  // the op(A) rows at aRow -> MR-wide k steps at dst, `steps` of them
  const packA = (rows: number, steps = k) => {
    f.get(aRow).set(src);
    f.repeat(steps, () => {
      if (rows === MR) f.get(dst).get(src).v128Load().v128Store();
      else for (let r = 0; r < rows; r++) f.get(dst).get(src).f32Load(r * 4).f32Store(r * 4);
      f.bump(src, al * 4).bump(dst, MR * 4);
    });
  };
  const [rowFrom, rowTo] = part.rows;
  const rows = rowTo - rowFrom;
  const eachRowBlock = (body: (rows: number) => void) => {
    f.repeat(Math.floor(rows / MR), () => body(MR));
    if (rows % MR) body(rows % MR);
  };

  // one k block of `steps` steps from op(A)'s and B's byte offsets in aK and bK: B's panels packed
  // (unless packed once for all batches), then per row block (A's packed first), every panel
  const kBlock = (steps: number, first: boolean, last: boolean, packed: boolean) => {
    if (!packed) packB(bK, steps);
    f.get(aK).set(aRow).get(c).set(cRow);
    f.bump(aRow, rowFrom * ar * 4).bump(cRow, rowFrom * n * 4);
    eachRowBlock((rows) => {
      if (packedA) {
        f.get(pack).i32Const(packAAt).i32Add().tee(aBlock).set(dst);
        packA(rows, steps);
      } else f.get(aRow).set(aBlock);
      f.get(pack).set(pb).get(cRow).set(pc).i32Const(colFrom * 4).set(column);
      f.repeat(fullPanels, () => {
        tile(rows, NR, steps, first, last);
        f.bump(column, NR * 4);
      });
      if (tailCols) tile(rows, tailCols, steps, first, last);
      f.bump(aRow, rows * ar * 4).bump(cRow, rows * n * 4);
    });
    f.bump(aK, steps * al * 4).bump(bK, steps * bl * 4);
  };
  // per batch, the k blocks: the first (from zero), a loop over the middle ones, the last (the epilogue)
  const rowsOuter = () => {
    const { count, size, last } = blocks;
    const packOnce = !p.batchedB && count === 1;
    if (packOnce) packB();
    f.repeat(batchTo - batchFrom, () => {
      f.get(a).set(aK).get(b).set(bK);
      kBlock(size, true, count === 1, packOnce);
      f.repeat(count - 2, () => kBlock(size, false, false, false));
      if (count > 1) kBlock(last, false, true, false);
      f.bump(a, m * k * 4).bump(c, m * n * 4);
      if (p.batchedB) f.bump(b, k * n * 4);
    });
  };

  // per panel of this part's columns: pack it, then every row block (A's all packed first)
  const blocksOfPanel = (cols: number) => {
    f.get(pack).set(dst);
    packPanel(cols);
    f.get(a).set(aRow).get(cPanel).set(cRow).get(cPanel).get(c).i32Sub().set(column);
    if (packedA) f.get(pack).i32Const(packAAt).i32Add().set(aBlock);
    eachRowBlock((rows) => {
      if (!packedA) f.get(aRow).set(aBlock);
      f.get(pack).set(pb).get(cRow).set(pc);
      tile(rows, cols);
      f.bump(aRow, rows * ar * 4).bump(cRow, rows * n * 4);
      if (packedA) f.bump(aBlock, MR * k * 4);
    });
    f.bump(cPanel, NR * 4);
  };
  const panelsFirst = () => {
    f.repeat(batchTo - batchFrom, () => {
      if (packedA) {
        f.get(a).set(aRow).get(pack).i32Const(packAAt).i32Add().set(dst);
        // block after block, MR * k floats each (packA leaves dst at the next)
        eachRowBlock((rows) => {
          packA(rows);
          f.bump(aRow, rows * ar * 4);
        });
      }
      f.get(b).i32Const(colFrom * bj * 4).i32Add().set(src);
      f.get(c).i32Const(colFrom * 4).i32Add().set(cPanel);
      f.repeat(fullPanels, () => blocksOfPanel(NR));
      if (tailCols) blocksOfPanel(tailCols);
      f.bump(a, m * k * 4).bump(c, m * n * 4);
      if (p.batchedB) f.bump(b, k * n * 4);
    });
  };

  const [batchFrom, batchTo] = part.batches;
  if (outer && rows !== m) throw new Error('internal: a GEMM with panels outer is split by batches or columns, not rows');
  f.bump(a, batchFrom * m * k * 4).bump(c, batchFrom * m * n * 4);
  if (p.batchedB) f.bump(b, batchFrom * k * n * 4);
  if (outer) panelsFirst();
  else rowsOuter();
  return moduleBytes(f, 'run', shared ? maxPages : undefined);
}

/** Multiply-adds below which a GEMM runs whole on this thread (a part's round trip costs ~0.1 ms). */
const minThreadedWork = 2_000_000;

/** Chunks per thread of a threaded GEMM: threads take them in turn, so one that starts late or runs slower takes fewer. */
const chunksPerThread = 4;
/** The fewest rows of a chunk split by rows: each chunk packs all of op(B) again. */
const minChunkRows = 64;

/**
 * C split into chunks for `threads` threads (at least one each): by batches when there are enough,
 * else by columns (panels outer) or rows, in whole tiles.
 */
function split(p: MatmulPlan, threads: number): Part[] {
  const all = (b: readonly [number, number], r: readonly [number, number], c: readonly [number, number] = [0, p.n]): Part => ({ batches: b, rows: r, cols: c });
  if (threads < 2 || p.batch * p.m * p.n * p.k < minThreadedWork) return [all([0, p.batch], [0, p.m])];
  const cuts = (total: number, unit: number, count: number) => {
    const size = Math.ceil(total / count / unit) * unit;
    const out: Array<[number, number]> = [];
    for (let from = 0; from < total; from += size) out.push([from, Math.min(total, from + size)]);
    return out;
  };
  const count = threads * chunksPerThread;
  if (p.batch >= threads) return cuts(p.batch, 1, Math.min(count, p.batch)).map((b) => all(b, [0, p.m]));
  if (panelsOuter(p)) return cuts(p.n, NR, count).map((c) => all([0, p.batch], [0, p.m], c));
  // a whole number of chunks per thread, so none is left for one thread alone
  return cuts(p.m, MR, threads * Math.max(1, Math.min(chunksPerThread, Math.floor(p.m / minChunkRows / threads)))).map((r) => all([0, p.batch], r));
}

// SHAPED_VIT_GEMM_THREADS=1 keeps every GEMM on one thread (for comparisons)
const threads = Number(platform.setting('SHAPED_VIT_GEMM_THREADS') ?? Infinity);

// lib es2023 and @types/node 20 declare no WebAssembly (lib.dom does); the part used here:
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer; grow(pages: number): number };
  instantiate(bytes: Uint8Array, imports: object): Promise<{ readonly instance: { readonly exports: Record<string, unknown> } }>;
};

const align = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** Aligned byte offsets of consecutive arrays of these lengths (floats). */
function offsets(lengths: readonly number[]): number[] {
  const at: number[] = [];
  let end = 0;
  for (const n of lengths) {
    at.push(end);
    end += align(n * 4);
  }
  return at;
}

/** `memory` as floats, grown to at least `bytes`. */
function heapOf(memory: { readonly buffer: ArrayBuffer; grow(pages: number): number }, bytes: number): Float32Array {
  if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  return new Float32Array(memory.buffer);
}
type Gemm = (a: number, b: number, c: number, pack: number, ...operands: number[]) => void;
// every shape's instance shares the one memory (a page may hold only so many); compiled
// asynchronously, as browsers require on their main thread for all but tiny modules
const compiled = new Map<string, Promise<Gemm>>();

/**
 * op(A) op(B) per the plan, on the operands' host values, with the epilogue applied to it (over
 * `operands`, read as its `access` says), written into `out` (a fresh array by default). With a
 * thread team, arrays in its memory (wasm-arrays.ts: webasm's storage) are read and written in
 * place, others copied in and out through blocks of it.
 */
export async function gemm(
  p: MatmulPlan,
  aValues: Float32Array,
  bValues: Float32Array,
  out: Float32Array = new Float32Array(p.batch * p.m * p.n),
  epilogue: EpilogueCode | null = null,
  operands: readonly Float32Array[] = [],
): Promise<Float32Array> {
  const key = `${p.batch},${p.m},${p.k},${p.n},${p.transposeA},${p.transposeB},${p.batchedB}${epilogue ? ` ${epilogue.access} ${epilogue.key}` : ''}`;
  const team = threadTeam();
  const arrays = heapArrays();
  const threadCount = team && arrays ? Math.min(team.size, threads) : 1;
  const parts = split(p, threadCount);
  // B's panels (one, when panels are outer), then (op(A) = Aᵀ) one row block of A (all of them)
  const packLength = panelsOuter(p) ? NR * p.k + (packsA(p) ? Math.ceil(p.m / MR) * MR * p.k : 0) : (Math.ceil(p.n / NR) * NR + (packsA(p) ? MR : 0)) * kBlocks(p).size;
  // in place where the team's memory holds (or can take) the arrays, else copied through the heap
  const placed = team && arrays?.place([aValues, bValues, out, ...operands], [true, true, false, ...operands.map(() => true)], Array.from({ length: parts.length > 1 ? team.size : 1 }, () => packLength));
  if (team && placed) {
    const [a, b, c, ...ops] = placed.views;
    try {
      const chunks = parts.map((part) => ({ key: `${key}|${part.batches}|${part.rows}|${part.cols}`, emit: () => emitGemm(p, part, true, epilogue) }));
      // each thread packs into its own scratch
      await team.run(chunks, (thread) => [a.byteOffset, b.byteOffset, c.byteOffset, placed.scratch[thread].byteOffset, ...ops.map((o) => o.byteOffset)]);
      if (c !== out) out.set(c);
    } finally {
      placed.release();
    }
    return out;
  }
  const outLength = p.batch * p.m * p.n;
  // operands before the pack scratch, so an epilogue's loads past an operand's end read the next array
  const at = offsets([aValues.length, bValues.length, outLength, ...operands.map((o) => o.length), packLength]);
  const [aAt, bAt, cAt] = at;
  const operandAt = at.slice(3, 3 + operands.length);
  const packAt = at[3 + operands.length];
  // 16 spare bytes: an epilogue's loads run up to 3 floats past an operand's end
  const heap = heapOf(wasmMemory(), packAt + packLength * 4 + 16);
  heap.set(aValues, aAt / 4);
  heap.set(bValues, bAt / 4);
  operands.forEach((o, x) => heap.set(o, operandAt[x] / 4));
  let instance = compiled.get(key);
  if (!instance) {
    instance = WebAssembly.instantiate(emitGemm(p, parts[0], false, epilogue), { env: { memory: wasmMemory() } }).then((r) => r.instance.exports.run as Gemm);
    compiled.set(key, instance);
  }
  (await instance)(aAt, bAt, cAt, packAt, ...operandAt);
  out.set(heap.subarray(cAt / 4, cAt / 4 + outLength));
  return out;
}
