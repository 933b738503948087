// webasm's elementwise kernels: a fusion group (or one elementwise op) whose primitives all have
// `arith` rules becomes one WebAssembly SIMD loop over the operands' host values, four lanes at a
// time; gpu.js's generated wasm costs ~5 ns per element for the same work. Broadcast operands
// follow strides: axes the group's operands agree on are merged, the last one is the vector loop
// (an operand constant along it is splatted once per row), the others are nested counted loops.
import type { Tensor } from '../tensor.js';
import { stridesOf } from '../kernel-source.js';
import { FunctionBody, v128 } from './wasm-emit.js';
import { Simd, type SimdValue } from './wasm-simd.js';
import { runKernel } from './wasm-run.js';
import type { Storage, WebasmBackend } from '../backend.js';
import type { BackendLowering, FusedCompiler, Window } from '../kernel-table.js';
import { arithOf, arithWithout } from '../primitive.js';
import { attrsKey } from '../attrs-key.js';

/** The output's dims after merging, and each pointer's element strides along them (output first). */
export interface Loops {
  readonly dims: number[];
  readonly strides: number[][];
}

/** Strides of `input` read at the coordinates of `output` (NumPy broadcasting, trailing-aligned): 0 where broadcast. */
export function broadcastStrides(input: readonly number[], output: readonly number[]): number[] {
  const offset = output.length - input.length;
  const own = stridesOf(input);
  return output.map((_, k) => (k < offset || input[k - offset] === 1 ? 0 : own[k - offset]));
}

/** Drops size-1 axes and merges neighbours every pointer walks contiguously (or not at all). */
function loopsOf(out: readonly number[], inputs: readonly (readonly number[])[]): Loops {
  return mergeLoops(out, inputs.map((s) => broadcastStrides(s, out)));
}

/** The loops over `out` for operands read at element strides `operandStrides` (one per output axis). */
export function mergeLoops(out: readonly number[], operandStrides: readonly (readonly number[])[]): Loops {
  const all = [stridesOf(out), ...operandStrides];
  const keep = out.map((d, k) => k).filter((k) => out[k] !== 1);
  const dims: number[] = [];
  const strides: number[][] = all.map(() => []);
  for (const k of keep) {
    const last = dims.length - 1;
    if (last >= 0 && all.every((s, p) => strides[p][last] === s[k] * out[k])) {
      dims[last] *= out[k];
      all.forEach((s, p) => (strides[p][last] = s[k]));
    } else {
      dims.push(out[k]);
      all.forEach((s, p) => strides[p].push(s[k]));
    }
  }
  if (!dims.length) return { dims: [1], strides: all.map(() => [1]) };
  return { dims, strides };
}

/** The value of one output vector from the operands' vectors (pushed by their instructions into `s`). */
export type VectorValue = (s: Simd, operands: readonly SimdValue[]) => SimdValue;

function emit(operands: number, loops: Loops, value: VectorValue): FunctionBody {
  const f = new FunctionBody(operands + 1);
  const s = new Simd(f);
  const pointers = Array.from({ length: operands }, (_, k) => k + 1);
  const { dims, strides } = loops;
  const inner = dims.length - 1;
  const vectors = Math.ceil(dims[inner] / 4);
  // pointers walking the vector loop: the output's and those of operands not constant along it
  const walking = [0, ...pointers.filter((p) => strides[p][inner] !== 0)];
  const gather = () => {
    // one operand read at a stride along the vector axis (a permute): element by element
    if (operands !== 1) throw new Error('internal: a strided vector axis with several operands');
    f.repeat(dims[inner], () => {
      f.get(0).get(1).f32Load().f32Store();
      f.bump(0, 4).bump(1, strides[1][inner] * 4);
    });
    f.bump(0, -4 * dims[inner]).bump(1, -strides[1][inner] * 4 * dims[inner]);
  };
  const row = () => {
    if (strides.some((st) => st[inner] !== 0 && st[inner] !== 1)) return gather();
    const loaded: SimdValue[] = [];
    pointers.forEach((p) => {
      if (strides[p][inner] !== 0) return;
      loaded[p - 1] = f.local(v128);
      f.get(p).v128Load32Splat().set(loaded[p - 1]);
    });
    f.repeat(vectors, () => {
      pointers.forEach((p) => {
        if (strides[p][inner] === 0) return;
        loaded[p - 1] = f.local(v128);
        f.get(p).v128Load().set(loaded[p - 1]);
      });
      f.get(0).get(value(s, loaded)).v128Store();
      for (const p of walking) f.bump(p, 16);
    });
    for (const p of walking) f.bump(p, -16 * vectors);
  };
  const level = (k: number) => {
    if (k === inner) return row();
    f.repeat(dims[k], () => {
      level(k + 1);
      strides.forEach((st, p) => f.bump(p, st[k] * 4));
    });
    strides.forEach((st, p) => f.bump(p, -st[k] * dims[k] * 4));
  };
  level(0);
  return f;
}

/**
 * An elementwise group's SIMD value over its externals' vectors (in order) and its key text, taken
 * now: a plan reused for a later graph (plan-cache.ts) may compile it after this graph is gone.
 * Null when a node lacks a SIMD form.
 */
export function groupProgram(root: Tensor, nodes: readonly Tensor[], externals: readonly Tensor[]): { readonly key: string; readonly value: VectorValue } | null {
  if (!nodes.every((t) => arithWithout(t, Simd.lacks))) return null;
  // values: the externals, then the nodes
  const position = (t: Tensor) => (externals.includes(t) ? externals.indexOf(t) : externals.length + nodes.indexOf(t));
  // attributes that are not plain data (a user's function) cannot key a compiled kernel: no SIMD form
  const attrs = nodes.map((t) => attrsKey(t.attrs));
  if (attrs.includes(null)) return null;
  const key = nodes.map((t, k) => `${t.op!.name}${attrs[k]}(${t.inputs.map(position)})`).join(' ');
  const program = nodes.map((t) => ({ rule: arithOf(t.op!)!, inputs: t.inputs.map(position), attrs: t.attrs }));
  const result = position(root);
  const value: VectorValue = (s, operands) => {
    const values = [...operands];
    for (const { rule, inputs, attrs } of program) values.push(rule(s, inputs.map((k) => values[k]), attrs));
    return values[result];
  };
  return { key, value };
}

/**
 * Runs the kernel over the operands' storage (wasm-run.ts), operand k read in its window
 * `windows[k]` where one is given (a view of that storage, borrowed for the call); the result is
 * `length` floats.
 */
export function runVector(key: string, loops: Loops, value: VectorValue, length: number, backend: WebasmBackend, args: readonly Storage[], windows?: readonly (Window | null)[]): Promise<Storage> {
  const operands = windows ? args.map((a, k) => windowOf(backend, a, windows[k])) : args;
  return runKernel(key, () => emit(args.length, loops, value), backend, operands, length);
}

/** `window` of `storage`'s values as storage of its own, which shares them (never released: the caller keeps `storage`). */
function windowOf(backend: WebasmBackend, storage: Storage, window: Window | null): Storage {
  if (!window) return storage;
  return { raw: backend.values(storage).subarray(window.offset, window.offset + window.length), length: window.length, refs: 1 };
}

/** One kernel computing `root` from `externals` (nodes in evaluation order, some read in `windows`), or null when a node has no SIMD form. */
export const webasmElementwise: FusedCompiler<'webasm'> = (root, nodes, externals, windows) => {
  const group = groupProgram(root, nodes, externals);
  if (!group) return null;
  const loops = loopsOf(root.shape, externals.map((e) => e.shape));
  const key = `elementwise ${group.key} ${root.size} ${JSON.stringify(loops)}`;
  const length = root.size;
  return (backend, args) => runVector(key, loops, group.value, length, backend, args, windows);
};

/** broadcastTo (times its scale) by the same loops. */
export const webasmBroadcastTo: BackendLowering<'webasm', { readonly scale: number }> = (out, [x], { scale }) => {
  const loops = loopsOf(out.shape, [x.shape]);
  const value: VectorValue = (s, [v]) => (scale === 1 ? v : s.mul(v, s.const(scale)));
  return (backend, args) => runVector(`broadcastTo ${scale} ${JSON.stringify(loops)}`, loops, value, out.size, backend, args);
};
