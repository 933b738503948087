// Row primitives (softmax, layerNorm and their gradients): statistics of each row (a reduction
// along one axis), then an elementwise stage that reads them. Declared as a RowRule, such an op
// fuses with its neighbours on backends without a kernel of their own for it (plan.ts): the
// elementwise ops producing its inputs are computed inside both of its kernels, and its
// elementwise stage joins its consumers' fused kernel.
import { kernelSource, localBinder, programLowering, singleKernel, type Lowering } from './kernel-source.js';
import { sourceArith, type Arith } from './arith.js';
import type { Tensor } from './tensor.js';

/** The rows of a tensor viewed as [outer, length, inner]: `length` elements, `inner` apart. */
export interface RowLayout {
  readonly length: number;
  readonly inner: number;
}

/** Statements binding input `input`'s value at flat index `index` to the new constant `into`. */
export type Load = (input: number, index: string, into: string) => string;

/** A fold over a row's elements: the sum or the maximum of `value`, one per element. */
export interface Fold<V> {
  readonly op: 'sum' | 'max';
  readonly value: V;
}

/**
 * One pass over a row: folds of values computed from the elements (`x(k)`: input k's element)
 * and the statistics so far; `then` gives the statistics after it from its folds' results.
 * Written over `Arith`, so gpu.js loops (here) and workgroup reductions (kernels/webgpu-rows.ts)
 * derive from one definition.
 */
export interface RowPass {
  folds<V>(m: Arith<V>, x: (input: number) => V, stats: readonly V[]): readonly Fold<V>[];
  then<V>(m: Arith<V>, folded: readonly V[], stats: readonly V[]): readonly V[];
}

export interface RowRule<A> {
  layout(shape: readonly number[], attrs: A): RowLayout;
  /** statistics per row: 1, 2 or 4 (a backend may compute them as one vector per row) */
  readonly width: 1 | 2 | 4;
  /** The passes computing a row's statistics; the last one's `then` gives `width` of them. */
  passes(layout: RowLayout, attrs: A): readonly RowPass[];
  /** The output value from the inputs' values and the row's statistics. */
  element(inputs: readonly string[], stats: readonly string[], attrs: A, local: (expr: string) => string): string;
}

/** Statements binding `row`, the row of flat element index `index`. */
export function rowOfElement({ length, inner }: RowLayout, index: string, row: string): string {
  if (inner === 1) return `const ${row} = Math.floor((${index} + 0.5) / ${length});`;
  return `const ${row}_o = Math.floor((${index} + 0.5) / ${length * inner});\n  const ${row} = ${row}_o * ${inner} + (${index} % ${inner});`;
}

/**
 * Statements computing the statistics of `passes` (one loop per pass), elements read by `load`
 * at `at(l)`, and the statistics' expressions. Names start with `p` followed by a digit.
 */
export function passesSource(passes: readonly RowPass[], length: number, load: Load, at: (l: string) => string): { lines: string[]; values: string[] } {
  const lines: string[] = [];
  let stats: readonly string[] = [];
  passes.forEach((pass, p) => {
    const loads: string[] = [];
    const loaded = new Map<number, string>();
    const x = (k: number) => {
      let name = loaded.get(k);
      if (!name) {
        loaded.set(k, (name = `p${p}x${k}`));
        loads.push(load(k, at('l'), name));
      }
      return name;
    };
    const inner = localBinder(`p${p}e`);
    const folds = pass.folds(sourceArith(inner.local), x, stats);
    const acc = folds.map((_, j) => `p${p}f${j}`);
    const steps = folds.map((f, j) => (f.op === 'sum' ? `${acc[j]} += ${f.value};` : `${acc[j]} = Math.max(${acc[j]}, ${f.value});`));
    lines.push(...folds.map((f, j) => `let ${acc[j]} = ${f.op === 'sum' ? '0.0' : '-3.4e38'};`));
    lines.push(`for (let l = 0; l < ${length}; l++) { ${[...loads, ...inner.lines, ...steps].join(' ')} }`);
    const outer = localBinder(`p${p}q`);
    const next = pass.then(sourceArith(outer.local), acc, stats);
    lines.push(...outer.lines, ...next.map((v, j) => `const p${p}s${j} = ${v};`));
    stats = next.map((_, j) => `p${p}s${j}`);
  });
  return { lines, values: [...stats] };
}

/**
 * Where a statistics kernel's inputs come from: rule input k is `inputs[k]`, computed inside the
 * kernel when it is one of `members` (elementwise ops, from their own inputs), else read from
 * buffer `reads.indexOf(t)` at its broadcast index in the row op's shape.
 */
export interface RowSources {
  readonly inputs: readonly Tensor[];
  readonly members: ReadonlySet<Tensor>;
  readonly reads: readonly Tensor[];
}

/** A row op's statistics kernel, its inputs read as its `load` says (producers may be inlined). */
export interface RowStatsKernel {
  readonly rows: number;
  readonly width: 1 | 2 | 4;
  readonly shape: readonly number[];
  readonly layout: RowLayout;
  readonly passes: readonly RowPass[];
  readonly sources: RowSources;
  /**
   * The source over buffers `args`: `packed`, one thread per row returns all the row's statistics
   * (a vector when width > 1); else one thread per statistic (row-major), each computing its row's.
   */
  source(args: readonly string[], packed: boolean): string;
}

export function rowStatsKernel<A>(rule: RowRule<A>, shape: readonly number[], attrs: A, load: Load, sources: RowSources): RowStatsKernel {
  const layout = rule.layout(shape, attrs);
  const { length, inner } = layout;
  const rows = shape.reduce((p, d) => p * d, 1) / length;
  const width = rule.width;
  const passes = rule.passes(layout, attrs);
  const { lines, values } = passesSource(passes, length, load, (l) => `rowBase + ${l}${inner === 1 ? '' : ` * ${inner}`}`);
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
  return { rows, width, shape, layout, passes, sources, source };
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
  const stats = rowStatsKernel(rule, out.shape, attrs, (k, index, into) => `const ${into} = buf${k}[${index}];`, { inputs, members: new Set(), reads: inputs });
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
