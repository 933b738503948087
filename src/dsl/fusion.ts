// Elementwise fusion: a chain of elementwise ops whose intermediates are used once becomes one
// kernel (e.g. bias add + GELU, or a whole optimizer update), so those intermediates never touch
// memory and each costs no kernel launch. Row ops (rows.ts) join groups where the backend runs
// them portably: their elementwise stage is a member of the group, and their statistics are a
// kernel of their own that computes the member ops producing the row op's inputs inline.
import type { BackendName } from './backend.js';
import type { Tensor } from './tensor.js';
import { broadcastIndex, coordinates, kernelSource, localBinder, maxKernelInputs as maxInputs, singleKernel, type Lowering } from './kernel-source.js';
import { readStats, rowStatsKernel, type Load, type RowStatsKernel } from './rows.js';
import { elementwiseSource, isElementwise } from './primitive.js';
import { epilogueLoweringFor, fusedCompilerFor, hasEpilogue, rowsOf } from './kernel-table.js';

const sameShape = (a: Tensor, b: Tensor) => a.shape.length === b.shape.length && a.shape.every((d, k) => d === b.shape[k]);

/**
 * Groups the plan's elementwise nodes, and the row ops `fusesRows` accepts. Returns, for every
 * node folded into a consumer, the root of its group (roots compute the whole group in one kernel).
 */
export function fuseElementwise(
  order: readonly Tensor[],
  uses: ReadonlyMap<Tensor, number>,
  keep: ReadonlySet<Tensor>,
  fusesRows: (t: Tensor) => boolean,
): Map<Tensor, Tensor> {
  const rootOf = new Map<Tensor, Tensor>();
  const inputsOfGroup = new Map<Tensor, number>();
  // members a row op's statistics kernel computes: a row op among them would need statistics of its own there
  const feedsStats = new Set<Tensor>();
  const isRow = (t: Tensor) => !!rowsOf(t.op) && fusesRows(t);
  const isMember = (t: Tensor) => !t.storage && (isElementwise(t.op) || isRow(t));
  // a row op also reads its statistics
  const reads = (t: Tensor) => t.inputs.length + (isRow(t) ? 1 : 0);
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    if (!isMember(t)) continue;
    const root = rootOf.get(t) ?? t;
    if (!inputsOfGroup.has(root)) inputsOfGroup.set(root, reads(t));
    const inStats = isRow(t) || feedsStats.has(t);
    for (const i of t.inputs) {
      const fusible = isMember(i) && !keep.has(i) && uses.get(i) === 1 && sameShape(i, t) && !rootOf.has(i) && !(inStats && isRow(i));
      const count = inputsOfGroup.get(root)! - 1 + reads(i);
      if (fusible && count <= maxInputs) {
        rootOf.set(i, root);
        inputsOfGroup.set(root, count);
        if (inStats) feedsStats.add(i);
      }
    }
  }
  return rootOf;
}

export interface Group {
  /** the members in evaluation order, the root last */
  readonly nodes: Tensor[];
  /** the tensors the group reads, each once */
  readonly externals: Tensor[];
  /** the row ops among the members: each also reads its statistics */
  readonly rows: Tensor[];
}

/** The group of `root` (alone if nothing was folded into it). */
export function groupOf(root: Tensor, rootOf: ReadonlyMap<Tensor, Tensor>): Group {
  const nodes: Tensor[] = [];
  const externals: Tensor[] = [];
  const visit = (t: Tensor) => {
    for (const i of t.inputs) {
      if (rootOf.get(i) === root) visit(i);
      else if (!externals.includes(i)) externals.push(i);
    }
    nodes.push(t);
  };
  visit(root);
  return { nodes, externals, rows: nodes.filter((t) => rowsOf(t.op)) };
}

/**
 * Statements computing the group member `target` at flat index `index` (names prefixed by
 * `prefix`): externals are read from `buffer(t)`, a row op's statistics from `statsBuffer(t)`.
 */
function valueAt(
  target: Tensor,
  members: ReadonlySet<Tensor>,
  index: string,
  prefix: string,
  buffer: (t: Tensor) => string,
  statsBuffer: (row: Tensor) => string,
): { lines: string[]; value: string } {
  const lines: string[] = [];
  const names = new Map<Tensor, string>();
  let coordinatesBound = false;
  let nextId = 0;
  const visit = (t: Tensor): string => {
    const known = names.get(t);
    if (known) return known;
    const id = nextId++;
    if (!members.has(t)) {
      const ix = broadcastIndex(t.shape, target.shape, index, `${prefix}c`);
      if (ix !== index && !coordinatesBound) {
        lines.push(coordinates(target.shape, index, `${prefix}c`));
        coordinatesBound = true;
      }
      names.set(t, `${prefix}v${id}`);
      lines.push(`const ${prefix}v${id} = ${buffer(t)}[${ix}];`);
      return `${prefix}v${id}`;
    }
    const args = t.inputs.map(visit);
    const { lines: locals, local } = localBinder(`${prefix}t${id}_`);
    const rule = rowsOf(t.op);
    let value: string;
    if (rule) {
      const stats = readStats(rule.layout(t.shape, t.attrs), rule.width, statsBuffer(t), index, `${prefix}s${id}_`);
      lines.push(...stats.lines);
      value = rule.element(args, stats.names, t.attrs, local);
    } else {
      value = elementwiseSource(t, args, local);
    }
    lines.push(...locals, `const ${prefix}t${id} = ${value};`);
    names.set(t, `${prefix}t${id}`);
    return `${prefix}t${id}`;
  };
  const value = visit(target);
  return { lines, value };
}

/** One kernel computing the group's root from its externals (x0, x1, ...) and its row ops' statistics (st0, st1, ...). */
export function fusedSource(root: Tensor, group: Group): string {
  const members = new Set(group.nodes);
  const { lines, value } = valueAt(
    root,
    members,
    'i',
    '',
    (t) => `x${group.externals.indexOf(t)}`,
    (row) => `st${group.rows.indexOf(row)}`,
  );
  return kernelSource([...group.externals.map((_, k) => `x${k}`), ...group.rows.map((_, k) => `st${k}`)], [...lines, `return ${value};`].join('\n  '));
}

/** The statistics kernel of the group's row op `row`, members producing its inputs inlined, and the tensors it reads (buf0, buf1, ...). */
export function groupRowStats(row: Tensor, group: Group): { kernel: RowStatsKernel; args: string[]; reads: Tensor[] } {
  const members = new Set(group.nodes);
  const reads: Tensor[] = [];
  const buffer = (t: Tensor) => {
    if (!reads.includes(t)) reads.push(t);
    return `buf${reads.indexOf(t)}`;
  };
  const noStats = () => {
    throw new Error('internal: a row op was fused into another row op\'s statistics');
  };
  const load: Load = (k, index, into) => {
    const input = row.inputs[k];
    if (!members.has(input)) return `const ${into} = ${buffer(input)}[${index}];`;
    const { lines, value } = valueAt(input, members, index, `${into}_`, buffer, noStats);
    return [...lines, `const ${into} = ${value};`].join(' ');
  };
  const kernel = rowStatsKernel(rowsOf(row.op)!, row.shape, row.attrs, load, { inputs: row.inputs, members, reads });
  return { kernel, args: reads.map((_, k) => `buf${k}`), reads };
}

/**
 * How a group is computed on `backend`: its compiler's kernel, else the portable fused gpu.js
 * kernel (always for a group with row ops, which only backends without their own row kernels fuse).
 */
export function fusedLoweringFor(root: Tensor, group: Group, backend: BackendName): Lowering {
  const own = group.rows.length ? null : (fusedCompilerFor(backend)?.(root, group.nodes, group.externals) as Lowering | null);
  return own ?? singleKernel(fusedSource(root, group), root.size);
}

/** A producer (a matmul) computed with the elementwise group that reads it, in one kernel. */
export interface Epilogue {
  readonly producer: Tensor;
  readonly group: Group;
  readonly run: Lowering;
}

/**
 * The groups computed in their producer's kernel, by root: a producer whose kernel on `backend`
 * takes an epilogue (kernel-table.ts), computed here, read only by one member of an elementwise
 * group of its shape, and neither kept nor reading a view in place. The group's other externals
 * become the kernel's extra operands; the producer's output never touches memory.
 */
export function fuseEpilogues(
  computed: readonly Tensor[],
  rootOf: ReadonlyMap<Tensor, Tensor>,
  uses: ReadonlyMap<Tensor, number>,
  keep: ReadonlySet<Tensor>,
  views: ReadonlySet<Tensor>,
  backend: BackendName,
): Map<Tensor, Epilogue> {
  const found = new Map<Tensor, Epilogue>();
  const here = new Set(computed);
  for (const c of computed) {
    if (!isElementwise(c.op)) continue;
    const root = rootOf.get(c) ?? c;
    if (found.has(root) || !isElementwise(root.op)) continue;
    for (const producer of c.inputs) {
      const fits = here.has(producer) && producer.size > 0 && hasEpilogue(producer.op, backend) && !keep.has(producer) && uses.get(producer) === 1 && sameShape(producer, root) && !producer.inputs.some((i) => views.has(i));
      if (!fits) continue;
      const group = groupOf(root, rootOf);
      if (group.rows.length) break;
      const run = epilogueLoweringFor(producer, root, group.nodes, group.externals, backend);
      if (run) found.set(root, { producer, group, run });
      break;
    }
  }
  return found;
}
