// webgpu's matmul as our own WGSL kernel: a workgroup stages a BK-deep slice of a BM x BK tile of
// op(a) and a BK x BN tile of op(b) in workgroup memory (each value read from the buffer once per
// workgroup, not once per output), and each thread keeps a 4 x 4 block of outputs in registers, so
// one vec4 of a and one of b from workgroup memory feed 16 multiply-adds. Operands are read at
// their strides (no transposed copies), batches are workgroup_id.z.
import type { WgslLimits, WgslSpec } from '../backend.js';
import type { StridedMatmul } from '../ops/matmul.js';

/** The tile: threads tx × ty, 4 × 4 outputs each, k staged bk at a time. */
export interface MatmulTile {
  readonly tx: number;
  readonly ty: number;
  readonly bk: number;
}

/** A tile the device allows: 16 × 16 threads where it may (8 wide for narrow outputs), fewer rows under compatibility limits. */
export function matmulTile(p: StridedMatmul, limits: WgslLimits): MatmulTile {
  const tx = p.n <= 32 ? 8 : 16;
  const ty = Math.min(16, Math.floor(limits.maxComputeInvocationsPerWorkgroup / tx));
  return { tx, ty, bk: 16 };
}

const u = (x: number) => `${x}u`;

/** The kernel for `p` with tile `t`; null where the launch exceeds the device's workgroup counts. */
export function tiledMatmul(p: StridedMatmul, t: MatmulTile, limits: WgslLimits): WgslSpec | null {
  const bm = t.ty * 4;
  const bn = t.tx * 4;
  const threads = t.tx * t.ty;
  const batch = p.batchShape.reduce((x, d) => x * d, 1);
  const workgroups = [Math.ceil(p.n / bn), Math.ceil(p.m / bm), batch] as const;
  if (workgroups.some((w) => w > limits.maxComputeWorkgroupsPerDimension) || (bm + bn) * t.bk * 4 > limits.maxComputeWorkgroupStorageSize) return null;
  // the batch index split over the batch axes (last fastest), each operand's offset summed
  const offsets = p.batchShape
    .map((d, j) => j)
    .reverse()
    .flatMap((j) => [
      `  let z${j} = rest % ${u(p.batchShape[j])}; rest = rest / ${u(p.batchShape[j])};`,
      `  aOff += z${j} * ${u(p.a.batch[j])}; bOff += z${j} * ${u(p.b.batch[j])};`,
    ]);
  // staging loads walk the operand's contiguous axis fastest, so neighbouring threads read neighbouring floats
  const loadA = p.a.col === 1 ? [`let l = e % ${u(t.bk)};`, `let r = e / ${u(t.bk)};`] : [`let r = e % ${u(bm)};`, `let l = e / ${u(bm)};`];
  const loadB = p.b.row === 1 ? [`let l = e % ${u(t.bk)};`, `let c = e / ${u(t.bk)};`] : [`let c = e % ${u(bn)};`, `let l = e / ${u(bn)};`];
  const rows = [0, 1, 2, 3];
  const source = `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// op(a)[l][r] as As[l][r / 4][r % 4], op(b)[l][c] as Bs[l][c / 4][c % 4]
var<workgroup> As: array<vec4<f32>, ${(t.bk * bm) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(t.bk * bn) / 4}>;

@compute @workgroup_size(${t.tx}, ${t.ty}, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  var rest = wg.z;
  var aOff = 0u;
  var bOff = 0u;
${offsets.join('\n')}
  let row0 = wg.y * ${u(bm)};
  let col0 = wg.x * ${u(bn)};
${rows.map((i) => `  var acc${i} = vec4<f32>(0.0);`).join('\n')}
  for (var k0 = 0u; k0 < ${u(p.k)}; k0 += ${u(t.bk)}) {
    for (var e = li; e < ${u(bm * t.bk)}; e += ${u(threads)}) {
      ${loadA.join(' ')}
      var v = 0.0;
      if (row0 + r < ${u(p.m)} && k0 + l < ${u(p.k)}) { v = a[aOff + (row0 + r) * ${u(p.a.row)} + (k0 + l) * ${u(p.a.col)}]; }
      As[l * ${u(bm / 4)} + r / 4u][r % 4u] = v;
    }
    for (var e = li; e < ${u(bn * t.bk)}; e += ${u(threads)}) {
      ${loadB.join(' ')}
      var v = 0.0;
      if (col0 + c < ${u(p.n)} && k0 + l < ${u(p.k)}) { v = b[bOff + (k0 + l) * ${u(p.b.row)} + (col0 + c) * ${u(p.b.col)}]; }
      Bs[l * ${u(bn / 4)} + c / 4u][c % 4u] = v;
    }
    workgroupBarrier();
    for (var l = 0u; l < ${u(t.bk)}; l++) {
      let av = As[l * ${u(bm / 4)} + lid.y];
      let bv = Bs[l * ${u(bn / 4)} + lid.x];
${rows.map((i) => `      acc${i} += av[${i}] * bv;`).join('\n')}
    }
    workgroupBarrier();
  }
  let base = wg.z * ${u(p.m * p.n)};
  let c0 = col0 + lid.x * 4u;
${rows
  .map(
    (i) => `  if (row0 + lid.y * 4u + ${u(i)} < ${u(p.m)}) {
    let at = base + (row0 + lid.y * 4u + ${u(i)}) * ${u(p.n)} + c0;
    for (var j = 0u; j < 4u; j++) { if (c0 + j < ${u(p.n)}) { out[at + j] = acc${i}[j]; } }
  }`,
  )
  .join('\n')}
}
`;
  return { source, length: batch * p.m * p.n, workgroups };
}
