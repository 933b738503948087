// Helpers that generate gpu.js kernel source. Every tensor is a flat row-major buffer; shapes are
// baked into the source as literals (loops bounded by literals, never by arguments, so gpu.js's
// loopMaxIterations cannot cut them short), and kernels are cached per source.
import type { Lowering } from './tensor.js';
import type { Backend, KernelSpec, Storage } from './backend.js';

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    strides[k] = s;
    s *= shape[k];
  }
  return strides;
}

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

/** A kernel function over named 1-D arguments; `body` sees the output index as `i`. */
export function kernelSource(args: readonly string[], body: string): string {
  return `function (${args.join(', ')}) {\n  const i = this.thread.x;\n  ${body}\n}`;
}

/** Kernel locals for subexpressions: `local(expr)` appends `const <prefix>N = expr;` to `lines`. */
export function localBinder(prefix: string): { readonly lines: string[]; readonly local: (expr: string) => string } {
  const lines: string[] = [];
  return { lines, local: (expr) => (lines.push(`const ${prefix}${lines.length} = ${expr};`), `${prefix}${lines.length - 1}`) };
}

/** Lowering for a single generated kernel. */
export function singleKernel(source: string, length: number): Lowering {
  return (backend, args) => backend.run({ source, length }, args);
}

/** Runs a helper kernel (row statistics, say), hands its output to `then`, and releases it after. */
export async function withScratch<T>(backend: Backend, spec: KernelSpec, args: readonly Storage[], then: (scratch: Storage) => Promise<T>): Promise<T> {
  const scratch = await backend.run(spec, args);
  try {
    return await then(scratch);
  } finally {
    backend.release(scratch);
  }
}
