// webasm's matmul: 4 output rows per thread as an Array(4) return, so gpu.js's f32x4 lanes share
// loads (the portable one-cell kernel gathers both operands for every multiply-add).
import type { Storage, WebasmBackend } from '../backend.js';
import type { BackendLowering } from '../kernel-table.js';
import { kernelSource } from '../kernel-source.js';
import { matmulIndexers, matmulPlan, type MatmulAttrs, type MatmulPlan } from '../ops/matmul.js';

const lines = (...ls: readonly string[]) => ls.join('\n  ');
const rows4 = [0, 1, 2, 3];
const sums4 = rows4.map((j) => `let s${j} = 0.0;`);
const dims = (x: number, y: number, z: number) => (z > 1 ? [x, y, z] : [x, y]);

/**
 * webasm runs 4 adjacent thread.x cells as one f32x4 step: a load whose index depends on thread.x
 * is a 4-lane gather (4 scalar loads), one indexed only by thread.y/z and the loop is a single
 * scalar load. So x = output column and y = a block of 4 rows, returned as Array(4): per step of
 * the k loop, one gather of b and 4 scalar loads of a feed 16 multiply-adds (the one-cell kernel
 * gathers both operands for 4). Indices use thread ids inline and `l | 0`: gpu.js's wasm backend
 * makes every declared local, loop counters included, an f32, and f32 index math costs
 * conversions per load. Output: [batch, m/4, n padded to whole quads, 4], then permuted.
 */
export const webasmMatmul: BackendLowering<'webasm', MatmulAttrs> = (out, _in, attrs) => {
  const p = matmulPlan(out, attrs);
  return (backend, args) => blockedWasm(backend, args, p);
};

async function blockedWasm(backend: WebasmBackend, [a, b]: readonly Storage[], p: MatmulPlan): Promise<Storage> {
  const mb = Math.ceil(p.m / 4);
  const np = Math.ceil(p.n / 4) * 4;
  const ix = matmulIndexers(p, 'this.thread.z');
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
  const blocks = await backend.runGrid({ source: kernelSource(['a', 'b'], body), length: p.batch * mb * np * 4 }, dims(np, mb, p.batch), [a, b]);
  try {
    const permute = `return p[((this.thread.z * ${mb} + (this.thread.y >> 2)) * ${np} + this.thread.x) * 4 + (this.thread.y & 3)];`;
    return await backend.runGrid({ source: kernelSource(['p'], permute), length: p.batch * p.m * p.n }, dims(p.n, p.m, p.batch), [blocks]);
  } finally {
    backend.release(blocks);
  }
}

