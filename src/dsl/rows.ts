// Row primitives (softmax, layerNorm and their gradients): statistics of each row (a reduction
// along one axis), then an elementwise stage that reads them. Declared as a RowRule, such an op
// fuses with its neighbours on backends without a kernel of their own for it (plan.ts): the
// elementwise ops producing its inputs are computed inside both of its kernels, and its
// elementwise stage joins its consumers' fused kernel.
import { kernelSource, programLowering, singleKernel, type Lowering } from './kernel-source.js';
import type { Tensor } from './tensor.js';

/** The rows of a tensor viewed as [outer, length, inner]: `length` elements, `inner` apart. */
export interface RowLayout {
  readonly length: number;
  readonly inner: number;
}

/** Statements binding input `input`'s value at flat index `index` to the new constant `into`. */
export type Load = (input: number, index: string, into: string) => string;

export interface RowRule<A> {
  layout(shape: readonly number[], attrs: A): RowLayout;
  /** statistics per row: 1, 2 or 4 (a backend may compute them as one vector per row) */
  readonly width: 1 | 2 | 4;
  /**
   * Statements computing a row's statistics and their expressions; `at(l)` is the flat index of
   * the row's element l. Every `into` given to `load` must be a fresh name, and no name may start
   * with `row` or `buf` (the kernel's own).
   */
  stats(load: Load, at: (l: string) => string, layout: RowLayout, attrs: A): { readonly lines: readonly string[]; readonly values: readonly string[] };
  /** The output value from the inputs' values and the row's statistics. */
  element(inputs: readonly string[], stats: readonly string[], attrs: A, local: (expr: string) => string): string;
}

/** Statements binding `row`, the row of flat element index `index`. */
export function rowOfElement({ length, inner }: RowLayout, index: string, row: string): string {
  if (inner === 1) return `const ${row} = Math.floor((${index} + 0.5) / ${length});`;
  return `const ${row}_o = Math.floor((${index} + 0.5) / ${length * inner});\n  const ${row} = ${row}_o * ${inner} + (${index} % ${inner});`;
}

/** A row op's statistics kernel, its inputs read as its `load` says (producers may be inlined). */
export interface RowStatsKernel {
  readonly rows: number;
  readonly width: 1 | 2 | 4;
  /**
   * The source over buffers `args`: `packed`, one thread per row returns all the row's statistics
   * (a vector when width > 1); else one thread per statistic (row-major), each computing its row's.
   */
  source(args: readonly string[], packed: boolean): string;
}

export function rowStatsKernel<A>(rule: RowRule<A>, shape: readonly number[], attrs: A, load: Load): RowStatsKernel {
  const layout = rule.layout(shape, attrs);
  const { length, inner } = layout;
  const rows = shape.reduce((p, d) => p * d, 1) / length;
  const width = rule.width;
  const at = (l: string) => `rowBase + ${l}${inner === 1 ? '' : ` * ${inner}`}`;
  const { lines, values } = rule.stats(load, at, layout, attrs);
  const source = (args: readonly string[], packed: boolean) => {
    const perRow = packed || width === 1;
    const row = perRow ? 'const rowIndex = i;' : `const rowIndex = Math.floor((i + 0.5) / ${width});`;
    const base =
      inner === 1
        ? `const rowBase = rowIndex * ${length};`
        : `const rowOuter = Math.floor((rowIndex + 0.5) / ${inner});\n  const rowBase = rowOuter * ${length * inner} + (rowIndex - rowOuter * ${inner});`;
    const result = perRow
      ? [`return ${values.length === 1 ? values[0] : `[${values.join(', ')}]`};`]
      : [...values.slice(0, -1).map((v, k) => `if (i - rowIndex * ${width} == ${k}) { return ${v}; }`), `return ${values[values.length - 1]};`];
    return kernelSource(args, [row, base, ...lines, ...result].join('\n  '));
  };
  return { rows, width, source };
}

/** The portable lowering of a statistics kernel: one thread per statistic. */
export const portableRowStats = (kernel: RowStatsKernel, args: readonly string[]): Lowering =>
  singleKernel(kernel.source(args, false), kernel.rows * kernel.width);

/** Statements binding the statistics `names` of element `index`'s row from buffer `buffer`. */
export function readStats(layout: RowLayout, width: number, buffer: string, index: string, prefix: string): { lines: string[]; names: string[] } {
  const names = Array.from({ length: width }, (_, k) => `${prefix}${k}`);
  const row = `${prefix}row`;
  return { lines: [rowOfElement(layout, index, row), ...names.map((n, k) => `const ${n} = ${buffer}[${row}${width === 1 ? '' : ` * ${width}`}${k ? ` + ${k}` : ''}];`)], names };
}

/** The op alone, portable: its statistics kernel (one thread per statistic), then its elementwise kernel. */
export function rowLowering<A>(rule: RowRule<A>, out: Tensor, inputs: readonly Tensor[], attrs: A): Lowering {
  const names = inputs.map((_, k) => `buf${k}`);
  const stats = rowStatsKernel(rule, out.shape, attrs, (k, index, into) => `const ${into} = buf${k}[${index}];`);
  const layout = rule.layout(out.shape, attrs);
  const read = readStats(layout, rule.width, 'st', 'i', 's');
  const locals: string[] = [];
  const value = rule.element(
    names.map((n) => `${n}[i]`),
    read.names,
    attrs,
    (expr) => (locals.push(`const e${locals.length} = ${expr};`), `e${locals.length - 1}`),
  );
  const element = kernelSource([...names, 'st'], [...read.lines, ...locals, `return ${value};`].join('\n  '));
  const all = inputs.map((_, k) => k);
  return programLowering({
    kernels: [
      { spec: { source: stats.source(names, false), length: stats.rows * rule.width }, args: all },
      { spec: { source: element, length: out.size }, args: [...all, inputs.length] },
    ],
  });
}
