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
import { epilogueLoweringFor, fusedCompilerFor, hasEpilogue, resultsCompilerFor, rowsOf, type ResultsLowering, type Window } from './kernel-table.js';
import type { Storage } from './backend.js';
import { shapesEqual } from './shape-rules.js';


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
      const fusible = isMember(i) && !keep.has(i) && uses.get(i) === 1 && shapesEqual(i.shape, t.shape) && !rootOf.has(i) && !(inStats && isRow(i));
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
 * `windows`: externals read in place from a window of another tensor's storage (plan.ts), only
 * for a group the compiler takes (fusedByBackend).
 */
export function fusedLoweringFor(root: Tensor, group: Group, backend: BackendName, windows?: readonly (Window | null)[]): Lowering {
  const own = group.rows.length ? null : (fusedCompilerFor(backend)?.(root, group.nodes, group.externals, windows) as Lowering | null);
  if (!own && windows) throw new Error(`internal: ${backend} did not compile a group that reads windows`);
  return own ?? singleKernel(fusedSource(root, group), root.size);
}

/** Whether `backend`'s own compiler computes the group (not the portable gpu.js kernel). */
export const fusedByBackend = (root: Tensor, group: Group, backend: BackendName): boolean => !group.rows.length && !!fusedCompilerFor(backend)?.(root, group.nodes, group.externals);

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
      const fits = here.has(producer) && producer.size > 0 && hasEpilogue(producer.op, backend) && !keep.has(producer) && uses.get(producer) === 1 && shapesEqual(producer.shape, root.shape) && !producer.inputs.some((i) => views.has(i));
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

/**
 * An elementwise group with several results: groups of one root (fuseElementwise's) where later
 * ones read earlier ones' roots, computed by one kernel (an optimizer's update: its new moments and
 * the update, each read once from memory; XLA's multi-output fusion).
 */
export interface OutputGroup {
  /** the groups of one root it is made of, in evaluation order: gpu.js runs one kernel each */
  readonly parts: readonly Group[];
  /** what the kernel writes, in evaluation order: the last part's root and every other part's root that is kept or read outside */
  readonly roots: readonly Tensor[];
  /** every member, in evaluation order */
  readonly nodes: readonly Tensor[];
  /** the tensors it reads, each once */
  readonly externals: readonly Tensor[];
}

const rootOfGroup = (g: Group) => g.nodes[g.nodes.length - 1];

function outputGroup(parts: readonly Group[], kept: ReadonlySet<Tensor>, consumers: ReadonlyMap<Tensor, readonly Tensor[]>): OutputGroup {
  const nodes = parts.flatMap((p) => p.nodes);
  const members = new Set(nodes);
  const externals: Tensor[] = [];
  for (const n of nodes) for (const i of n.inputs) if (!members.has(i) && !externals.includes(i)) externals.push(i);
  const last = rootOfGroup(parts[parts.length - 1]);
  const roots = parts.map(rootOfGroup).filter((r) => r === last || kept.has(r) || (consumers.get(r) ?? []).some((c) => !members.has(c)));
  return { parts, roots, nodes, externals };
}

/** Each tensor's readers among `computed`, in order (a node reading one tensor twice counted once). */
export function readersOf(computed: readonly Tensor[]): Map<Tensor, Tensor[]> {
  const readers = new Map<Tensor, Tensor[]>();
  for (const t of computed) {
    for (const i of new Set(t.inputs)) {
      const list = readers.get(i);
      if (list) list.push(t);
      else readers.set(i, [t]);
    }
  }
  return readers;
}

/**
 * The groups of several results on `backend` (only where it registered a kernel for them), by
 * their last root: walking back from each group, a group whose root it reads joins it when the
 * roots have one shape, everything else reading that root runs after the group (so no cycle, and
 * the group can run where its last root did), and the backend's kernel `fits` the whole. Groups
 * with row ops, computed by their producer (`skip`) or of size 0 stay alone.
 */
export function fuseOutputs(computed: readonly Tensor[], rootOf: ReadonlyMap<Tensor, Tensor>, kept: ReadonlySet<Tensor>, skip: ReadonlySet<Tensor>, backend: BackendName): Map<Tensor, OutputGroup> {
  const found = new Map<Tensor, OutputGroup>();
  const compiler = resultsCompilerFor(backend);
  if (!compiler) return found;
  const position = new Map(computed.map((t, k) => [t, k]));
  const consumers = readersOf(computed);
  const groups = new Map<Tensor, Group>();
  for (const t of computed) {
    if (!isElementwise(t.op) || rootOf.has(t) || skip.has(t) || t.size === 0) continue;
    const g = groupOf(t, rootOf);
    if (!g.rows.length) groups.set(t, g);
  }
  const taken = new Set<Tensor>();
  for (let k = computed.length - 1; k >= 0; k--) {
    const last = computed[k];
    const first = groups.get(last);
    if (!first || taken.has(last)) continue;
    let merged = outputGroup([first], kept, consumers);
    for (let grew = true; grew; ) {
      grew = false;
      const members = new Set(merged.nodes);
      for (const e of merged.externals) {
        const part = groups.get(e);
        if (!part || taken.has(e) || !shapesEqual(e.shape, last.shape)) continue;
        if ((consumers.get(e) ?? []).some((c) => !members.has(c) && position.get(c)! < k)) continue;
        const parts = [part, ...merged.parts].sort((a, b) => position.get(rootOfGroup(a))! - position.get(rootOfGroup(b))!);
        const next = outputGroup(parts, kept, consumers);
        if (!compiler.fits(next.roots, next.nodes, next.externals)) continue;
        merged = next;
        taken.add(e);
        grew = true;
        break;
      }
    }
    if (merged.parts.length > 1) found.set(last, merged);
  }
  return found;
}

/**
 * The group's parts as gpu.js's fused kernels, one after another (what runs without the group):
 * the roots that are not results are released as soon as the last part has run.
 */
export function partsLowering(group: OutputGroup): ResultsLowering {
  // positions taken now: the lowering may outlive the graph (plan-cache.ts)
  const values: Tensor[] = [...group.externals];
  const runs = group.parts.map((part) => {
    const root = rootOfGroup(part);
    const run = { lowering: singleKernel(fusedSource(root, part), root.size), args: part.externals.map((e) => values.indexOf(e)) };
    values.push(root);
    return run;
  });
  const results = group.roots.map((r) => values.indexOf(r));
  const program = { kernels: runs.map((r) => ({ spec: r.lowering.program!.kernels[0].spec, args: r.args })), results };
  const run: ResultsLowering = async (backend, args) => {
    const held: Storage[] = [...args];
    try {
      for (const { lowering, args: at } of runs) held.push(await lowering(backend, at.map((k) => held[k])));
    } catch (e) {
      for (const s of held.slice(args.length)) backend.release(s);
      throw e;
    }
    held.forEach((s, k) => k >= args.length && !results.includes(k) && backend.release(s));
    return results.map((k) => held[k]);
  };
  return Object.assign(run, { program });
}

/** How a group of several results is computed on `backend`: its kernel, which may run the parts' (gpu.js) where its own is off. */
export function outputsLoweringFor(group: OutputGroup, backend: BackendName): ResultsLowering {
  const portable = partsLowering(group);
  return (resultsCompilerFor(backend)?.compile(group.roots, group.nodes, group.externals, portable) as ResultsLowering | undefined) ?? portable;
}
