// webgpu's elementwise groups as our WGSL: one thread per element computes every member from its
// `arith` rule (the float operations of gpu.js's fused kernel, as wgslArith spells gpu.js's Math)
// and writes each of the group's results, so a group with several results (fusion.ts OutputGroup:
// an optimizer's new moments and update) is one dispatch where gpu.js runs a kernel per result.
// Flat indices fold into a second dispatch dimension past its workgroup limit, as gpu.js's do.
// Where ours is off (backend.elementwiseKernels) gpu.js's fused kernels run.
import type { Storage, WebgpuBackend, WgslLimits } from '../backend.js';
import type { FusedCompiler, ResultsCompiler } from '../kernel-table.js';
import { singleKernel, stridesOf } from '../kernel-source.js';
import { fusedSource } from '../fusion.js';
import { arithOf } from '../primitive.js';
import type { Tensor } from '../tensor.js';
import { packedRun } from './webgpu-packed.js';
import { jsPow, wgslArith } from './webgpu-rows.js';

/** Storage buffers one shader stage may bind on every WebGPU device. */
const maxBuffers = 8;
const threads = 64;
const u = (x: number) => `${x}u`;

/** The one-float externals read from one packed buffer: all of them when there are several. */
const packedOf = (externals: readonly Tensor[]): number[] => {
  const scalars = externals.flatMap((e, k) => (e.size === 1 ? [k] : []));
  return scalars.length > 1 ? scalars : [];
};

/** Whether one kernel computes `roots` from `externals`: every node has an `arith` rule, and its buffers fit the binding limit. */
export function fitsOneKernel(roots: readonly Tensor[], nodes: readonly Tensor[], externals: readonly Tensor[]): boolean {
  const packed = packedOf(externals).length;
  const buffers = externals.length - packed + (packed ? 1 : 0) + roots.length;
  return buffers <= maxBuffers && nodes.every((t) => !!arithOf(t.op!));
}

/** Index into `input`, broadcast (NumPy, trailing-aligned) to `shape`, at flat output index `i`. */
function broadcastAt(input: readonly number[], shape: readonly number[]): string {
  const size = shape.reduce((p, d) => p * d, 1);
  if (input.reduce((p, d) => p * d, 1) === size) return 'i';
  const offset = shape.length - input.length;
  const strides = stridesOf(shape);
  const own = stridesOf(input);
  const terms = shape.flatMap((d, k) => (k < offset || input[k - offset] === 1 || d === 1 ? [] : [`((i / ${u(strides[k])}) % ${u(d)}) * ${u(own[k - offset])}`]));
  return terms.length ? terms.join(' + ') : '0u';
}

/**
 * The kernel's source: bindings are the externals not packed (in order), the packed one-float
 * externals' buffer, then one result per root; the index folds rows of the dispatch (num_workgroups).
 */
export function elementwiseSource(roots: readonly Tensor[], nodes: readonly Tensor[], externals: readonly Tensor[]): { readonly source: string; readonly packed: number[] } {
  const shape = roots[roots.length - 1].shape;
  const size = shape.reduce((p, d) => p * d, 1);
  const packed = packedOf(externals);
  const bindings: string[] = [];
  const body: string[] = [];
  const names = new Map<Tensor, string>();
  externals.forEach((e, k) => {
    const at = packed.includes(k) ? `scalars[${u(packed.indexOf(k))}]` : `x${k}[${e.size === 1 ? '0u' : broadcastAt(e.shape, shape)}]`;
    if (!packed.includes(k)) bindings.push(`var<storage, read> x${k}: array<f32>;`);
    body.push(`let v${k} = ${at};`);
    names.set(e, `v${k}`);
  });
  if (packed.length) bindings.push('var<storage, read> scalars: array<f32>;');
  nodes.forEach((t, j) => {
    const lets: string[] = [];
    const local = (expr: string) => (lets.push(`let t${j}_${lets.length} = ${expr};`), `t${j}_${lets.length - 1}`);
    const value = arithOf(t.op!)!(wgslArith(local), t.inputs.map((i) => names.get(i)!), t.attrs);
    body.push(...lets, `let t${j} = ${value};`);
    names.set(t, `t${j}`);
  });
  roots.forEach((r, k) => {
    bindings.push(`var<storage, read_write> out${k}: array<f32>;`);
    body.push(`out${k}[i] = ${names.get(r)!};`);
  });
  const text = body.join('\n  ');
  const source = [
    ...bindings.map((b, k) => `@group(0) @binding(${k}) ${b}`),
    ...(text.includes('jsPow(') ? [jsPow] : []),
    `@compute @workgroup_size(${threads})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) dispatched: vec3<u32>) {',
    `  let i = gid.x + gid.y * dispatched.x * ${u(threads)};`,
    `  if (i >= ${u(size)}) { return; }`,
    `  ${text}`,
    '}',
  ].join('\n');
  return { source, packed };
}

/** Workgroups for `length` threads: one row up to the dimension's limit, then rows of it; null past what two dimensions hold. */
export function dispatchOf(length: number, limits: WgslLimits): [number, number, number] | null {
  const groups = Math.ceil(length / threads);
  const across = Math.max(1, Math.min(groups, limits.maxComputeWorkgroupsPerDimension));
  const rows = Math.ceil(groups / across);
  return rows > limits.maxComputeWorkgroupsPerDimension ? null : [across, rows, 1];
}

/** webgpu's kernel for a group with several results. */
export const webgpuResults: ResultsCompiler<'webgpu'> = {
  fits: fitsOneKernel,
  compile(roots, nodes, externals, portable) {
    const { source, packed } = elementwiseSource(roots, nodes, externals);
    const length = roots[0].size;
    const results = roots.length;
    // a pipeline (jit) records gpu.js's kernels in its place
    const run = (backend: WebgpuBackend, args: readonly Storage[]) => {
      const workgroups = backend.elementwiseKernels ? dispatchOf(length, backend.wgslLimits) : null;
      return workgroups ? backend.runWgslResults({ source, length, workgroups, results, packed }, args) : portable(backend, args);
    };
    return Object.assign(run, { program: portable.program });
  },
};

/** webgpu's kernel for a group of one result (and a lone elementwise op); null where a node has no `arith` rule. */
export const webgpuElementwise: FusedCompiler<'webgpu'> = (root, nodes, externals) => {
  if (!fitsOneKernel([root], nodes, externals)) return null;
  const { source, packed } = elementwiseSource([root], nodes, externals);
  const portable = singleKernel(fusedSource(root, { nodes: [...nodes], externals: [...externals], rows: [] }), root.size);
  const length = root.size;
  return packedRun((backend, args) => {
    const workgroups = backend.elementwiseKernels ? dispatchOf(length, backend.wgslLimits) : null;
    return workgroups ? backend.runWgsl({ source, length, workgroups, packed }, args) : portable(backend, args);
  }, portable);
};
