// Helpers that generate gpu.js kernel source. Every tensor is a flat row-major buffer; shapes are
// baked into the source as literals (loops bounded by literals, never by arguments, so gpu.js's
// loopMaxIterations cannot cut them short), and kernels are cached per source.
import type { Backend, KernelSpec, Storage } from './backend.js';
import { shapesEqual } from './shape-rules.js';

/**
 * How one primitive computes its output from its inputs' storage on a backend; `program` is set
 * when it is only generated gpu.js kernels, which a pipeline can record.
 */
export type Lowering = ((backend: Backend, args: readonly Storage[]) => Promise<Storage>) & { readonly program?: KernelProgram };

/** Where each input's elements are: strides per axis in the buffer that holds it (null: row-major). */
export type InputStrides = readonly (readonly number[] | null)[];

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    strides[k] = s;
    s *= shape[k];
  }
  return strides;
}

/** Inputs one generated kernel may read: webgpu guarantees 8 storage buffers per shader stage, one is the output. */
export const maxKernelInputs = 6;

/** A float literal gpu.js types as float on every backend. */
export function lit(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`internal: non-finite kernel constant ${x}`);
  const s = String(Math.fround(x));
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** Statements that split flat index `i` into coordinates `c0..c{n-1}` of `shape`. */
export function coordinates(shape: readonly number[], index = 'i', prefix = 'c'): string {
  const strides = stridesOf(shape);
  const lines: string[] = [];
  let rest = index;
  shape.forEach((_, k) => {
    if (k === shape.length - 1) {
      lines.push(`const ${prefix}${k} = ${rest};`);
    } else {
      // + 0.5: GPUs may divide as a multiply by the reciprocal (SwiftShader: 189 / 189 < 1)
      lines.push(`const ${prefix}${k} = Math.floor((${rest} + 0.5) / ${strides[k]});`);
      lines.push(`const ${prefix}r${k} = ${rest} - ${prefix}${k} * ${strides[k]};`);
      rest = `${prefix}r${k}`;
    }
  });
  return lines.join('\n  ');
}

/** Flat index expression from coordinate expressions and strides (0-stride axes dropped). */
export function flatIndex(coords: readonly string[], strides: readonly number[]): string {
  const terms = coords.map((c, k) => (strides[k] === 0 ? '' : strides[k] === 1 ? c : `${c} * ${strides[k]}`)).filter(Boolean);
  return terms.length ? terms.join(' + ') : '0';
}

/**
 * Index expression into an input broadcast (trailing-aligned) to the output shape, at output
 * index `index`: `index` itself for an input of the output's shape, else from the output's
 * coordinates `${coordinate}0`, `${coordinate}1`, ... (`coordinates()` binds them).
 */
export function broadcastIndex(input: readonly number[], output: readonly number[], index = 'i', coordinate = 'c'): string {
  if (shapesEqual(input, output)) return index;
  const offset = output.length - input.length;
  const inStrides = stridesOf(input);
  const strides = output.map((_, k) => (k < offset || input[k - offset] === 1 ? 0 : inStrides[k - offset]));
  return flatIndex(output.map((_, k) => `${coordinate}${k}`), strides);
}

/** A kernel function over named 1-D arguments; `body` sees the output index as `i`. */
export function kernelSource(args: readonly string[], body: string): string {
  return `function (${args.join(', ')}) {\n  const i = this.thread.x;\n  ${body}\n}`;
}

/** Kernel locals for subexpressions: `local(expr)` appends `const <prefix>N = expr;` to `lines`. */
export function localBinder(prefix: string): { readonly lines: string[]; readonly local: (expr: string) => string } {
  const lines: string[] = [];
  return { lines, local: (expr) => (lines.push(`const ${prefix}${lines.length} = ${expr};`), `${prefix}${lines.length - 1}`) };
}

/** One kernel of a program: it reads the op's inputs (0 .. n-1) and earlier kernels' outputs (n, n+1, ...). */
export interface ProgramKernel {
  readonly spec: KernelSpec;
  /** value indices it reads, in order; default: the op's inputs */
  readonly args?: readonly number[];
}

/**
 * A lowering made only of generated gpu.js kernels: it runs on every backend and can be recorded
 * into a gpu.js pipeline (jit.ts). The result is value `result` (default: the last kernel's).
 */
export interface KernelProgram {
  readonly kernels: readonly ProgramKernel[];
  readonly result?: number;
}

/** A program with several results (a fusion group's parts, fusion.ts): value `results[k]` is result k. */
export interface ResultsProgram extends KernelProgram {
  readonly results: readonly number[];
}

/** A lowering that runs `program` kernel by kernel, releasing its scratch values as it goes. */
export function programLowering(program: KernelProgram): Lowering {
  const run: Lowering = async (backend, inputs) => {
    const values: Storage[] = [...inputs];
    try {
      for (const k of program.kernels) values.push(await backend.run(k.spec, k.args ? k.args.map((a) => values[a]) : inputs));
    } catch (e) {
      for (const v of values.slice(inputs.length)) backend.release(v);
      throw e;
    }
    const result = program.result ?? values.length - 1;
    values.forEach((v, k) => k >= inputs.length && k !== result && backend.release(v));
    return result < inputs.length ? backend.retain(values[result]) : values[result];
  };
  return Object.assign(run, { program });
}

/** Lowering for a single generated kernel. */
export function singleKernel(source: string, length: number): Lowering {
  return programLowering({ kernels: [{ spec: { source, length } }] });
}
