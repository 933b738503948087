// webgpu's row statistics (softmax, layerNorm and their gradients, rows.ts). Ours, in WGSL: a
// workgroup takes one row (or a few short ones), its threads folding every perRow-th element, then
// a tree reduction in workgroup memory, one per pass; inputs that fusion computes inline
// (elementwise producers) are computed from their `arith` rules. Where ours is off (software
// adapters, backend.rowKernels) or cannot express a row, gpu.js's: one thread per row returns all
// its statistics as a vector (width 1: the portable kernel).
import type { Arith } from '../arith.js';
import type { WgslLimits, WgslSpec } from '../backend.js';
import type { RowStatsCompiler } from '../kernel-table.js';
import { lit, stridesOf } from '../kernel-source.js';
import { arithOf } from '../primitive.js';
import { portableRowStats, type RowStatsKernel } from '../rows.js';
import type { Tensor } from '../tensor.js';
import { packedRun } from './webgpu-packed.js';

const u = (x: number) => `${x}u`;

/** WGSL locals for subexpressions: `local(expr)` appends `let <prefix>N = expr;` to `lines`. */
function letBinder(prefix: string): { readonly lines: string[]; readonly local: (expr: string) => string } {
  const lines: string[] = [];
  return { lines, local: (expr) => (lines.push(`let ${prefix}${lines.length} = ${expr};`), `${prefix}${lines.length - 1}`) };
}

/** WGSL f32 expressions, as gpu.js translates its Math functions (pow(x, 0) is 1 for every x, as in JS). */
export function wgslArith(local: (expr: string) => string): Arith<string> {
  return {
    const: (c) => (c < 0 ? `(${lit(c)})` : lit(c)),
    add: (a, b) => `(${a} + ${b})`,
    sub: (a, b) => `(${a} - ${b})`,
    mul: (a, b) => `(${a} * ${b})`,
    div: (a, b) => `(${a} / ${b})`,
    min: (a, b) => `min(${a}, ${b})`,
    max: (a, b) => `max(${a}, ${b})`,
    abs: (a) => `abs(${a})`,
    neg: (a) => `(-(${a}))`,
    sqrt: (a) => `sqrt(${a})`,
    exp: (a) => `exp(${a})`,
    log: (a) => `log(${a})`,
    tanh: (a) => `tanh(${a})`,
    sin: (a) => `sin(${a})`,
    cos: (a) => `cos(${a})`,
    pow: (a, b) => `jsPow(${a}, ${b})`,
    ifLess: (a, b, x, y) => `select(${y}, ${x}, ${a} < ${b})`,
    ifEqual: (a, b, x, y) => `select(${y}, ${x}, ${a} == ${b})`,
    bind: local,
  };
}

/** gpu.js's pow (1 for b = 0, as in JS), for kernels whose source calls jsPow. */
export const jsPow = 'fn jsPow(a: f32, b: f32) -> f32 {\n  if (b == 0.0) { return 1.0; }\n  return pow(a, b);\n}';

/** A workgroup: `perRow` threads fold each row's elements, `rows` rows at once (powers of two, perRow >= 2). */
export interface RowGroup {
  readonly perRow: number;
  readonly rows: number;
}

/** About half the row's length in threads per row (each folds 2+ elements), 4 to 256, and rows enough for 64+ threads. */
export function rowGroup(length: number, limits: WgslLimits): RowGroup {
  let perRow = 4;
  while (perRow < 256 && perRow * 2 < length) perRow *= 2;
  while (perRow > limits.maxComputeInvocationsPerWorkgroup) perRow /= 2;
  let rows = 1;
  while (perRow * rows < 64 && perRow * rows * 2 <= limits.maxComputeInvocationsPerWorkgroup) rows *= 2;
  return { perRow, rows };
}

/**
 * Statements binding input `t`'s value at flat element `e` of the row op's shape, computed from
 * the buffers `reads` (members inline), named `<prefix>N`; null where a member has no `arith` rule
 * or another shape (then gpu.js's kernel runs).
 */
function loader(kernel: RowStatsKernel, prefix: string, lines: string[]): (t: Tensor) => string | null {
  const { members, reads } = kernel.sources;
  const names = new Map<Tensor, string | null>();
  const shape = kernel.shape;
  const size = shape.reduce((p, d) => p * d, 1);
  const strides = stridesOf(shape);
  const name = () => `${prefix}${names.size}`;
  const visit = (t: Tensor): string | null => {
    if (names.has(t)) return names.get(t)!;
    let value: string | null;
    if (members.has(t)) {
      const rule = arithOf(t.op!);
      const inputs = rule && t.size === size ? t.inputs.map(visit) : [null];
      if (inputs.some((x) => x === null)) value = null;
      else {
        const own = letBinder(`${name()}_`);
        const expr = rule!(wgslArith(own.local), inputs as string[], t.attrs);
        value = name();
        lines.push(...own.lines, `let ${value} = ${expr};`);
      }
    } else {
      // NumPy broadcasting, trailing-aligned: an axis of size 1 (or absent) contributes nothing
      const offset = shape.length - t.shape.length;
      const own = stridesOf(t.shape);
      const terms = shape.flatMap((d, k) =>
        k < offset || t.shape[k - offset] === 1 || d === 1 ? [] : [`((e / ${u(strides[k])}) % ${u(d)}) * ${u(own[k - offset])}`],
      );
      const same = t.size === size;
      value = name();
      lines.push(`let ${value} = buf${reads.indexOf(t)}[${same ? 'e' : terms.length ? terms.join(' + ') : '0u'}];`);
    }
    names.set(t, value);
    return value;
  };
  return visit;
}

/** Our kernel for `kernel`'s statistics; null where it cannot express them. */
export function rowStatsWgsl(kernel: RowStatsKernel, limits: WgslLimits): WgslSpec | null {
  const { rows, width, layout, passes, sources } = kernel;
  const { length, inner } = layout;
  const group = rowGroup(length, limits);
  const threads = group.perRow * group.rows;
  const groups = Math.ceil(rows / group.rows);
  const across = Math.min(groups, limits.maxComputeWorkgroupsPerDimension);
  const workgroups = [across, Math.ceil(groups / across), 1] as const;
  if (workgroups[1] > limits.maxComputeWorkgroupsPerDimension) return null;
  const body: string[] = [];
  let stats: readonly string[] = [];
  // one array per fold of each pass: a total read after a barrier is never overwritten (reusing
  // one array, Dawn on Mesa read a pass's total after the next pass had written its partial sums)
  const shared: string[] = [];
  for (const [p, pass] of passes.entries()) {
    const loads: string[] = [];
    const load = loader(kernel, `p${p}v`, loads);
    let missing = false;
    const x = (k: number) => load(sources.inputs[k]) ?? ((missing = true), '0.0');
    const perElement = letBinder(`p${p}e`);
    const folds = pass.folds(wgslArith(perElement.local), x, stats);
    if (missing) return null;
    const acc = folds.map((_, j) => `p${p}f${j}`);
    const red = acc.map((a) => `${a}w`);
    shared.push(...red);
    const combine = (op: 'sum' | 'max', a: string, b: string) => (op === 'sum' ? `${a} + ${b}` : `max(${a}, ${b})`);
    body.push(
      ...folds.map((f, j) => `var ${acc[j]} = ${f.op === 'sum' ? '0.0' : '-3.4e38'};`),
      `for (var l = lane; l < end; l += ${u(group.perRow)}) {`,
      `  let e = rowBase + l${inner === 1 ? '' : ` * ${u(inner)}`};`,
      ...[...loads, ...perElement.lines].map((l) => `  ${l}`),
      ...folds.map((f, j) => `  ${acc[j]} = ${combine(f.op, acc[j], f.value)};`),
      '}',
      ...acc.map((a, j) => `${red[j]}[lid] = ${a};`),
      'workgroupBarrier();',
      `for (var s = ${u(group.perRow / 2)}; s > 0u; s = s / 2u) {`,
      `  if (lane < s) { ${folds.map((f, j) => `${red[j]}[lid] = ${combine(f.op, `${red[j]}[lid]`, `${red[j]}[lid + s]`)};`).join(' ')} }`,
      '  workgroupBarrier();',
      '}',
      ...acc.map((a, j) => `let ${a}r = ${red[j]}[first];`),
    );
    const outer = letBinder(`p${p}q`);
    const next = pass.then(wgslArith(outer.local), acc.map((a) => `${a}r`), stats);
    body.push(...outer.lines, ...next.map((v, j) => `let p${p}s${j} = ${v};`));
    stats = next.map((_, j) => `p${p}s${j}`);
  }
  if (shared.length * threads * 4 > limits.maxComputeWorkgroupStorageSize) return null;
  const source = [
    ...sources.reads.map((_, k) => `@group(0) @binding(${k}) var<storage, read> buf${k}: array<f32>;`),
    `@group(0) @binding(${sources.reads.length}) var<storage, read_write> out: array<f32>;`,
    ...shared.map((name) => `var<workgroup> ${name}: array<f32, ${threads}>;`),
    jsPow,
    `@compute @workgroup_size(${threads})`,
    'fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {',
    // threads of rows past the end fold nothing (and reach every barrier) and write nothing
    `  let lane = lid % ${u(group.perRow)};`,
    `  let first = lid - lane;`,
    `  let row = (wg.x + wg.y * ${u(across)}) * ${u(group.rows)} + lid / ${u(group.perRow)};`,
    `  let end = select(0u, ${u(length)}, row < ${u(rows)});`,
    inner === 1 ? `  let rowBase = row * ${u(length)};` : `  let rowBase = (row / ${u(inner)}) * ${u(length * inner)} + row % ${u(inner)};`,
    ...body.map((l) => `  ${l}`),
    `  if (lane == 0u && row < ${u(rows)}) {`,
    ...stats.map((s, j) => `    out[row${width === 1 ? '' : ` * ${u(width)}`}${j ? ` + ${u(j)}` : ''}] = ${s};`),
    '  }',
    '}',
  ].join('\n');
  return { source, length: rows * width, workgroups };
}

export const webgpuRowStats: RowStatsCompiler<'webgpu'> = (kernel, args) => {
  const portable = portableRowStats(kernel, args);
  const width = kernel.width;
  const packed = width === 1 ? null : { width, spec: { source: kernel.source(args, true), length: kernel.rows * width } };
  let ours: WgslSpec | null | undefined;
  return packedRun((backend, storage) => {
    if (backend.rowKernels && ours === undefined) ours = rowStatsWgsl(kernel, backend.wgslLimits);
    if (backend.rowKernels && ours) return backend.runWgsl(ours, storage);
    return packed ? backend.runPacked(packed.spec, packed.width, storage) : portable(backend, storage);
  }, portable);
};
