// An evaluation plan: the graph's unrealized nodes as a list of steps over numbered slots, with
// fusion (elementwise ops and row ops, fusion.ts), each step's lowering and every temporary's
// release decided up front. The
// eager runtime plans and runs one per evaluation; `jit` plans once and replays the plan.
import type { Backend, BackendName, Storage } from './backend.js';
import { fuseElementwise, fuseEpilogues, fuseOutputs, fusedByBackend, readersOf, fusedLoweringFor, groupOf, groupRowStats, outputsLoweringFor, type Epilogue, type Group, type OutputGroup } from './fusion.js';
import { contiguousRunOf, hasOwnKernel, loweringFor, readsStrided, readsWindows, rowsOf, rowStatsLoweringFor, stridedViewOf, type ResultsLowering, type Window } from './kernel-table.js';
import { isElementwise } from './primitive.js';
import { platform } from '#platform';
import type { Tensor } from './tensor.js';
import type { Lowering } from './kernel-source.js';

// SHAPED_VIT_FUSION=0 turns elementwise fusion off (for comparisons and debugging)
const fusionEnabled = platform.setting('SHAPED_VIT_FUSION') !== '0';

interface StepBase {
  /** what the profile calls it: the op's name, `fused(...)` for a group, `upload` */
  readonly label: string;
  readonly args: readonly number[];
  /** temporaries whose last use is this step: released right after it */
  readonly frees: readonly number[];
}

/** A step with one result. */
export interface OneStep extends StepBase {
  readonly run: Lowering;
  readonly out: number;
}

/** A kernel with several results (fusion.ts OutputGroup): `runResults` resolves to their storage, for `outs` in order. */
export interface ResultsStep extends StepBase {
  readonly runResults: ResultsLowering;
  readonly outs: readonly number[];
}

export type Step = OneStep | ResultsStep;
type Planned = Omit<OneStep, 'frees'> | Omit<ResultsStep, 'frees'>;

/** The slots a step writes. */
export const outsOf = (step: Pick<OneStep, 'out'> | Pick<ResultsStep, 'outs'>): readonly number[] => ('outs' in step ? step.outs : [step.out]);

export interface Plan {
  /** the tensor each slot held when the plan was made; null for a scratch slot (a row op's statistics) */
  readonly nodes: readonly (Tensor | null)[];
  /** slots that hold storage before the plan runs (realized tensors, jit inputs) */
  readonly bound: readonly number[];
  readonly steps: readonly Step[];
  /** slots whose storage the caller gets (never freed by the plan) */
  readonly targets: readonly number[];
}

/** One unit of work, before slots and lowerings: what a pass of makePlan hands to the next. */
type Work =
  | { readonly kind: 'bound'; readonly node: Tensor }
  | { readonly kind: 'upload'; readonly node: Tensor; readonly values: Float32Array }
  /** a fusion group computed by one kernel (after its row ops' statistics kernels), `node` its root */
  | { readonly kind: 'group'; readonly node: Tensor; readonly group: Group }
  /** a group with several results (fusion.ts), `node` its last root */
  | { readonly kind: 'outputs'; readonly node: Tensor; readonly outputs: OutputGroup }
  /** a group computed by its producer's kernel (fusion.ts), `node` its root */
  | { readonly kind: 'epilogue'; readonly node: Tensor; readonly epilogue: Epilogue }
  /** one op alone; `views[k]`: input k read in place through that view's strides */
  | { readonly kind: 'op'; readonly node: Tensor; readonly views: readonly (Tensor | null)[] };

/**
 * Plans the computation of `targets` on `backend`: every tensor they need that `isBound` does not
 * accept is computed (host leaves uploaded). Host leaves that are not `transient` are kept too.
 * Passes over plain data: what is computed and kept; fusion groups; views read in place; the work
 * in order; slots and lowerings; lifetimes.
 */
export function makePlan(targets: readonly Tensor[], order: readonly Tensor[], backend: BackendName, isBound: (t: Tensor) => boolean): Plan {
  const computed = order.filter((t) => !isBound(t));
  const kept = new Set(targets);
  for (const t of computed) if (t.host && !t.transient) kept.add(t);
  // row ops run as statistics + an elementwise stage unless the backend has its own kernel for them
  const fusesRows = (t: Tensor) => !!rowsOf(t.op) && !hasOwnKernel(t.op!, backend);
  const uses = usesOf(computed);
  const rootOf = fusionEnabled ? fuseElementwise(computed, uses, kept, fusesRows) : new Map<Tensor, Tensor>();
  const views = readInPlace(computed, kept, backend);
  const epilogues = fusionEnabled ? fuseEpilogues(computed, rootOf, uses, kept, views, backend) : new Map<Tensor, Epilogue>();
  const outputs = fusionEnabled ? fuseOutputs(computed, rootOf, kept, new Set(epilogues.keys()), backend) : new Map<Tensor, OutputGroup>();
  const runs = fusionEnabled && readsWindows(backend) ? readRunsInPlace(computed, rootOf, uses, kept, views, epilogues, outputs, backend) : noRuns;
  const work = schedule(order, isBound, rootOf, views, fusesRows, epilogues, outputs, runs);
  const { nodes, bound, steps } = lower(work, backend, runs.reads);
  const slotOf = new Map(nodes.map((t, s) => [t, s]));
  const keptSlots = new Set([...kept].map((t) => slotOf.get(t)!));
  const frees = lifetimes(steps, new Set(bound), keptSlots);
  return { nodes, bound, steps: steps.map((s, k) => ({ ...s, frees: frees[k] })), targets: targets.map((t) => slotOf.get(t)!) };
}

/** How many computed nodes read each tensor. */
function usesOf(computed: readonly Tensor[]): Map<Tensor, number> {
  const uses = new Map<Tensor, number>();
  for (const t of computed) for (const i of t.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  return uses;
}

/** Where a contiguous run's values lie: from element `offset` of `base`'s storage. */
interface Run {
  readonly base: Tensor;
  readonly offset: number;
}

/** The runs elementwise kernels read in place (`reads`, by the tensor they read), and every view that is therefore not computed. */
interface Runs {
  readonly reads: ReadonlyMap<Tensor, Run>;
  readonly skipped: ReadonlySet<Tensor>;
}
const noRuns: Runs = { reads: new Map(), skipped: new Set() };

/**
 * The contiguous runs (kernel-table.ts: a reshape, a slice of an unraveled vector) whose every
 * reader is an elementwise kernel that `backend` compiles and that reads windows (a group's own
 * kernel, not a GEMM's epilogue nor one of several results): they read the run from the storage of
 * the tensor below it, so it is never copied. Runs below it that only it reads are skipped too
 * (the slice under an unraveled piece's reshape): the natural loop's applyUpdates reads each
 * parameter's update in place from the optimizer's flat vector.
 */
function readRunsInPlace(
  computed: readonly Tensor[],
  rootOf: ReadonlyMap<Tensor, Tensor>,
  uses: ReadonlyMap<Tensor, number>,
  kept: ReadonlySet<Tensor>,
  views: ReadonlySet<Tensor>,
  epilogues: ReadonlyMap<Tensor, Epilogue>,
  outputs: ReadonlyMap<Tensor, OutputGroup>,
  backend: BackendName,
): Runs {
  const here = new Set(computed);
  const inOutputs = new Set([...outputs.values()].flatMap((g) => g.nodes));
  const readers = readersOf(computed);
  // by group root: whether its kernel can read windows
  const takesWindows = new Map<Tensor, boolean>();
  const readsWindow = (c: Tensor) => {
    if (!isElementwise(c.op) || inOutputs.has(c)) return false;
    const root = rootOf.get(c) ?? c;
    let takes = takesWindows.get(root);
    if (takes === undefined) takesWindows.set(root, (takes = root.size > 0 && !epilogues.has(root) && fusedByBackend(root, groupOf(root, rootOf), backend)));
    return takes;
  };
  const own = (t: Tensor) => here.has(t) && !kept.has(t) && !views.has(t);
  const reads = new Map<Tensor, Run>();
  const skipped = new Set<Tensor>();
  for (const t of computed) {
    const at = contiguousRunOf(t);
    if (at === null || !own(t) || t.size === 0 || !(readers.get(t) ?? []).every(readsWindow)) continue;
    let base = t.inputs[0];
    let offset = at;
    skipped.add(t);
    for (let below = contiguousRunOf(base); below !== null && own(base) && uses.get(base) === 1; below = contiguousRunOf(base)) {
      skipped.add(base);
      offset += below;
      base = base.inputs[0];
    }
    reads.set(t, { base, offset });
  }
  return { reads, skipped };
}

/** The work, in evaluation order: nodes folded into a group or read in place are no work of their own. */
function schedule(
  order: readonly Tensor[],
  isBound: (t: Tensor) => boolean,
  rootOf: ReadonlyMap<Tensor, Tensor>,
  views: ReadonlySet<Tensor>,
  fusesRows: (t: Tensor) => boolean,
  epilogues: ReadonlyMap<Tensor, Epilogue>,
  outputs: ReadonlyMap<Tensor, OutputGroup>,
  runs: Runs,
): Work[] {
  const work: Work[] = [];
  const producers = new Set([...epilogues.values()].map((e) => e.producer));
  // roots computed by a later root's kernel of several results
  const earlier = new Set([...outputs].flatMap(([last, g]) => g.parts.map((p) => p.nodes[p.nodes.length - 1]).filter((r) => r !== last)));
  for (const t of order) {
    if (isBound(t)) work.push({ kind: 'bound', node: t });
    else if (t.host) work.push({ kind: 'upload', node: t, values: t.host });
    // computed inside its group's kernel, or its consumer's, or read in place
    else if (rootOf.has(t) || producers.has(t) || views.has(t) || earlier.has(t) || runs.skipped.has(t)) continue;
    else if (outputs.has(t)) work.push({ kind: 'outputs', node: t, outputs: outputs.get(t)! });
    else if (epilogues.has(t)) work.push({ kind: 'epilogue', node: t, epilogue: epilogues.get(t)! });
    else {
      const group = isElementwise(t.op) || fusesRows(t) ? groupOf(t, rootOf) : null;
      // a group of one op is its own kernel too where it reads a run in place
      if (group && (group.nodes.length > 1 || group.rows.length || group.externals.some((e) => runs.reads.has(e)))) work.push({ kind: 'group', node: t, group });
      else work.push({ kind: 'op', node: t, views: t.inputs.map((i) => (views.has(i) ? i : null)) });
    }
  }
  return work;
}

/**
 * Slots (one per tensor, and scratch slots for row statistics) and each step's lowering on
 * `backend`; a group reading runs in place (`runs`) gets the storage of the tensor below each.
 */
function lower(work: readonly Work[], backend: BackendName, runs: ReadonlyMap<Tensor, Run>): { nodes: (Tensor | null)[]; bound: number[]; steps: Planned[] } {
  const slot = new Map<Tensor, number>();
  const nodes: (Tensor | null)[] = [];
  const slotOf = (t: Tensor) => {
    let s = slot.get(t);
    if (s === undefined) {
      slot.set(t, (s = nodes.length));
      nodes.push(t);
    }
    return s;
  };
  const bound: number[] = [];
  const steps: Planned[] = [];
  for (const w of work) {
    const t = w.node;
    switch (w.kind) {
      case 'bound':
        bound.push(slotOf(t));
        break;
      case 'upload':
        steps.push(uploadStep(w.values, slotOf(t)));
        break;
      case 'group': {
        const { group } = w;
        if (t.size === 0) {
          steps.push({ label: t.op!.name, run: emptyOutput, args: group.externals.map(slotOf), out: slotOf(t) });
          break;
        }
        const statsSlots = group.rows.map((row) => {
          const { kernel, args, reads } = groupRowStats(row, group);
          const out = nodes.push(null) - 1;
          steps.push({ label: `${row.op!.name}.stats`, run: rowStatsLoweringFor(kernel, args, backend), args: reads.map(slotOf), out });
          return out;
        });
        const windows = group.externals.some((e) => runs.has(e)) ? group.externals.map((e): Window | null => (runs.has(e) ? { offset: runs.get(e)!.offset, length: e.size } : null)) : undefined;
        const args = group.externals.map((e) => slotOf(runs.get(e)?.base ?? e));
        steps.push({ label: groupLabel(group), run: fusedLoweringFor(t, group, backend, windows), args: [...args, ...statsSlots], out: slotOf(t) });
        break;
      }
      case 'outputs': {
        const { outputs } = w;
        steps.push({ label: `${groupLabel(outputs)}x${outputs.roots.length}`, runResults: outputsLoweringFor(outputs, backend), args: outputs.externals.map(slotOf), outs: outputs.roots.map(slotOf) });
        break;
      }
      case 'epilogue': {
        const { producer, group, run } = w.epilogue;
        const args = [...producer.inputs, ...group.externals.filter((e) => e !== producer)].map(slotOf);
        steps.push({ label: `${producer.op!.name}+${groupLabel(group)}`, run, args, out: slotOf(t) });
        break;
      }
      case 'op': {
        const strides = w.views.some(Boolean) ? w.views.map((v) => (v ? stridedViewOf(v.op)!(v.inputs[0].shape, v.attrs) : null)) : undefined;
        const args = t.inputs.map((i, k) => slotOf(w.views[k] ? i.inputs[0] : i));
        steps.push({ label: t.op!.name, run: t.size === 0 ? emptyOutput : loweringFor(t, backend, strides), args, out: slotOf(t) });
        break;
      }
    }
  }
  return { nodes, bound, steps };
}

/**
 * A zero-size result (a dim of 0): nothing runs, not even a backend's own kernel; its storage is an
 * empty host array, which every backend reads and releases (gpujs.ts `sized`).
 */
const emptyOutput: Lowering = async (be) => be.fromHost(new Float32Array(0));

/** What the profile calls a group's kernel: `fused(add+gelu)`, or the op of a group of one. */
function groupLabel(group: { readonly nodes: readonly Tensor[] }): string {
  const names = [...new Set(group.nodes.map((n) => n.op!.name))].sort();
  return group.nodes.length > 1 ? `fused(${names.join('+')})` : group.nodes[0].op!.name;
}

/** The step that uploads a host leaf's `values` into slot `out`. */
export function uploadStep(values: Float32Array, out: number): Omit<OneStep, 'frees'> {
  return { label: 'upload', run: values.length === 0 ? emptyOutput : (be) => be.upload(values), args: [], out };
}

/** For each step, the temporaries whose last use it is (neither bound nor kept): released right after it. */
function lifetimes(steps: ReadonlyArray<Pick<Step, 'args'>>, bound: ReadonlySet<number>, kept: ReadonlySet<number>): number[][] {
  const lastUse = new Map<number, number>();
  steps.forEach((s, k) => s.args.forEach((a) => lastUse.set(a, k)));
  const frees: number[][] = steps.map(() => []);
  for (const [s, k] of lastUse) if (!bound.has(s) && !kept.has(s)) frees[k].push(s);
  return frees;
}

/**
 * The views (e.g. permutes) no kernel needs to copy: every consumer reads them in place, through
 * strides, from the view's input.
 */
function readInPlace(computed: readonly Tensor[], kept: ReadonlySet<Tensor>, backend: BackendName): Set<Tensor> {
  const consumers = new Map<Tensor, Tensor[]>();
  for (const t of computed) for (const i of t.inputs) consumers.set(i, [...(consumers.get(i) ?? []), t]);
  const inPlace = (t: Tensor) => {
    const readers = consumers.get(t) ?? [];
    return !!stridedViewOf(t.op) && !kept.has(t) && readers.length > 0 && readers.every((c) => !isElementwise(c.op) && !rowsOf(c.op) && readsStrided(c.op!, backend));
  };
  return new Set(computed.filter(inPlace));
}

/** The tensor behind a slot that has one (bound slots and targets always do). */
export function tensorAt(plan: Plan, s: number): Tensor {
  const t = plan.nodes[s];
  if (!t) throw new Error(`internal: plan slot ${s} is a scratch slot`);
  return t;
}

/** Time and calls per kernel kind (an op's name, `fused(...)` for an elementwise group, `upload`). */
export interface ProfileEntry {
  readonly kernel: string;
  ms: number;
  calls: number;
}

let profiling: Map<string, ProfileEntry> | null = null;

/** Runs `fn` and reports where its evaluations spent their time, most expensive kernel kind first. */
export async function profile<T>(fn: () => Promise<T>): Promise<[T, ProfileEntry[]]> {
  if (profiling) throw new Error('profile: already profiling');
  profiling = new Map();
  try {
    const result = await fn();
    return [result, [...profiling.values()].sort((x, y) => y.ms - x.ms)];
  } finally {
    profiling = null;
  }
}

/** `work`, timed under `kernel` while profiling; `flush` first submits whatever it recorded (Backend.flush). */
export async function timed<T>(kernel: string, work: () => Promise<T>, flush?: () => void): Promise<T> {
  if (!profiling) return work();
  const t0 = performance.now();
  const out = await work();
  flush?.();
  const entry = profiling.get(kernel) ?? { kernel, ms: 0, calls: 0 };
  entry.ms += performance.now() - t0;
  entry.calls++;
  profiling.set(kernel, entry);
  return out;
}

/**
 * Runs a plan. `bound` holds the storage of every bound slot (borrowed: never released here);
 * the result is every slot's storage after the run, targets and kept uploads included, and
 * temporaries already released. On an error everything the run made is released.
 */
export async function runPlan(plan: Plan, backend: Backend, bound: ReadonlyMap<number, Storage>): Promise<(Storage | null)[]> {
  const store: (Storage | null)[] = new Array(plan.nodes.length).fill(null);
  for (const [s, storage] of bound) store[s] = storage;
  try {
    for (const step of plan.steps) {
      const args = step.args.map((a) => store[a]!);
      if ('outs' in step) {
        const results = await timed(step.label, () => step.runResults(backend, args), backend.flush);
        step.outs.forEach((s, k) => (store[s] = results[k]));
      } else store[step.out] = await timed(step.label, () => step.run(backend, args), backend.flush);
      for (const f of step.frees) {
        backend.release(store[f]!);
        store[f] = null;
      }
    }
  } catch (e) {
    for (const step of plan.steps) {
      for (const out of outsOf(step)) {
        const s = store[out];
        if (s) backend.release(s);
      }
    }
    throw e;
  }
  return store;
}
