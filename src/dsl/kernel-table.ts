// Per-backend kernels, registered per (op, backend) like tfjs-core's kernel registry: every
// primitive declares one portable lowering (gpu.js source any backend runs); a backend may
// register its own kernel for an op, and the runtime picks it. Ops never test a backend's name.
// What optimisations know of a primitive (its row rule, that it is a strided view, that its
// portable lowering reads strided inputs) is registered here too, keyed by primitive: a new
// optimisation adds a table, never a field of every primitive.
import type { Backend, BackendName, BackendOf, Storage } from './backend.js';
import type { Primitive, Tensor } from './tensor.js';
import type { InputStrides, Lowering, ResultsProgram } from './kernel-source.js';
import { isElementwise, portableLowering } from './primitive.js';
import { portableRowStats, type RowRule, type RowStatsKernel } from './rows.js';

/** A backend's own lowering of a primitive: it sees that backend's full interface. */
export type BackendLowering<N extends BackendName, A> = (
  out: Tensor,
  inputs: readonly Tensor[],
  attrs: A,
  strides?: InputStrides,
) => (backend: BackendOf[N], args: readonly Storage[]) => Promise<Storage>;

interface Entry {
  readonly lower: BackendLowering<any, any>;
  readonly readsStrided: boolean;
}

const table = new Map<string, Entry>();
const key = (op: string, backend: BackendName) => `${op}/${backend}`;

/**
 * Registers `backend`'s kernel for `op`; one per (op, backend). `readsStrided`: it reads inputs at
 * the strides it is given (so views are not copied for it).
 */
export function registerKernel<N extends BackendName, A>(op: Primitive<A>, backend: N, lower: BackendLowering<N, A>, options: { readonly readsStrided?: boolean } = {}): void {
  if (table.has(key(op.name, backend))) throw new Error(`internal: a ${backend} kernel for ${op.name} is already registered`);
  table.set(key(op.name, backend), { lower, readsStrided: options.readsStrided ?? false });
}

/** A per-primitive table of what optimisation `what` knows of primitives; one entry per primitive. */
function primitiveTable<V>(what: string) {
  const entries = new Map<Primitive, V>();
  return {
    register(op: Primitive, value: V): void {
      if (entries.has(op)) throw new Error(`internal: ${op.name} already has ${what}`);
      entries.set(op, value);
    },
    get: (op: Primitive | null): V | undefined => (op ? entries.get(op) : undefined),
  };
}

const rowRules = primitiveTable<RowRule<any>>('a row rule');
/** Declares `op` a row op (rows.ts): row statistics, then an elementwise stage, so it fuses with its neighbours. */
export const registerRows: <A>(op: Primitive<A>, rule: RowRule<A>) => void = rowRules.register;
/** The row rule of `op`, if it is a row op. */
export const rowsOf: (op: Primitive | null) => RowRule<any> | undefined = rowRules.get;

/** A layout op that only reorders its input: the input's strides per output axis. */
export type StridedView<A> = (input: readonly number[], attrs: A) => readonly number[];
const views = primitiveTable<StridedView<any>>('a strided view');
/** Declares `op` a view: a consumer reading strided inputs reads its input through `view` instead of a copy. */
export const registerStridedView: <A>(op: Primitive<A>, view: StridedView<A>) => void = views.register;
export const stridedViewOf: (op: Primitive | null) => StridedView<any> | undefined = views.get;

/**
 * A layout op whose output is one contiguous run of its input's row-major values: the element
 * offset where it starts, or null where these attributes make it no single run.
 */
export type ContiguousRun<A> = (input: readonly number[], attrs: A) => number | null;
const runs = primitiveTable<ContiguousRun<any>>('a contiguous run');
/** Declares that `op` may be a contiguous run of its input: elementwise kernels that read windows read it there, not a copy (plan.ts). */
export const registerContiguousRun: <A>(op: Primitive<A>, run: ContiguousRun<A>) => void = runs.register;
/** Where `t`'s values start in its input's, when they are one contiguous run of them. */
export function contiguousRunOf(t: Tensor): number | null {
  const run = runs.get(t.op);
  return run ? run(t.inputs[0].shape, t.attrs) : null;
}

const stridedPortable = primitiveTable<true>('strided reads');
/** Declares that `op`'s portable lowering reads its inputs at any strides it is given. */
export const registerStridedReads = (op: Primitive): void => stridedPortable.register(op, true);

/** Whether `op`'s kernel on `backend` reads inputs at given strides. */
export function readsStrided(op: Primitive<any>, backend: BackendName): boolean {
  const own = table.get(key(op.name, backend));
  return own ? own.readsStrided : !!stridedPortable.get(op);
}

/** Where an operand's values lie in the storage a kernel is given for it: `length` floats from element `offset`. */
export interface Window {
  readonly offset: number;
  readonly length: number;
}

/**
 * A backend's compiler for elementwise groups (fusion.ts): one kernel computing `root` from
 * `externals`, or null where it cannot (then the portable gpu.js kernel runs). `windows`, given
 * only to a compiler registered as reading them: external k's values are the window
 * `windows[k]` of the storage passed for it (where not null), not all of it.
 */
export type FusedCompiler<N extends BackendName> = (
  root: Tensor,
  nodes: readonly Tensor[],
  externals: readonly Tensor[],
  windows?: readonly (Window | null)[],
) => ((backend: BackendOf[N], args: readonly Storage[]) => Promise<Storage>) | null;

/** A table of one compiler per backend, for `what`. */
function compilerTable<C>(what: string) {
  const compilers = new Map<BackendName, C>();
  return {
    register(backend: BackendName, compile: C): void {
      if (compilers.has(backend)) throw new Error(`internal: a ${backend} compiler for ${what} is already registered`);
      compilers.set(backend, compile);
    },
    get: (backend: BackendName): C | undefined => compilers.get(backend),
  };
}

const fusedTable = compilerTable<FusedCompiler<any>>('elementwise groups');

const windowReaders = new Set<BackendName>();

/** Registers `backend`'s compiler for elementwise groups; one per backend. `readsWindows`: it takes `windows` (FusedCompiler). */
export function registerFusedKernel<N extends BackendName>(backend: N, compile: FusedCompiler<N>, options: { readonly readsWindows?: boolean } = {}): void {
  fusedTable.register(backend, compile);
  if (options.readsWindows) windowReaders.add(backend);
}

/** Whether `backend`'s elementwise kernels read operands in windows of their storage. */
export const readsWindows = (backend: BackendName): boolean => windowReaders.has(backend);

/** `backend`'s compiler for elementwise groups, if it has one. */
export const fusedCompilerFor = (backend: BackendName): FusedCompiler<any> | undefined => fusedTable.get(backend);

/**
 * A kernel computing several results at once (fusion.ts OutputGroup): their storage, in order;
 * `program` is set when it is (or falls back to) generated gpu.js kernels, which a pipeline can record.
 */
export type ResultsLowering = ((backend: Backend, args: readonly Storage[]) => Promise<Storage[]>) & { readonly program?: ResultsProgram };

/**
 * A backend's kernel for an elementwise group with several results (fusion.ts fuseOutputs): `roots`
 * (of one shape) from `externals`, `nodes` in evaluation order. `fits` says whether one kernel can
 * (every node expressible, its buffers within the binding limit); `compile` may run `portable`
 * (gpu.js's kernels, one per part) where its own is off.
 */
export interface ResultsCompiler<N extends BackendName> {
  fits(roots: readonly Tensor[], nodes: readonly Tensor[], externals: readonly Tensor[]): boolean;
  compile(
    roots: readonly Tensor[],
    nodes: readonly Tensor[],
    externals: readonly Tensor[],
    portable: ResultsLowering,
  ): ((backend: BackendOf[N], args: readonly Storage[]) => Promise<Storage[]>) & { readonly program?: ResultsProgram };
}

const resultsTable = compilerTable<ResultsCompiler<any>>('elementwise groups with several results');

/** Registers `backend`'s kernel for elementwise groups with several results; one per backend. */
export const registerResultsKernel: <N extends BackendName>(backend: N, compiler: ResultsCompiler<N>) => void = resultsTable.register;

/** `backend`'s kernel for elementwise groups with several results, if it has one (else fusion makes none). */
export const resultsCompilerFor = (backend: BackendName): ResultsCompiler<any> | undefined => resultsTable.get(backend);

/**
 * A backend's kernel for a producer op that also computes an elementwise group (fusion.ts) from the
 * producer's output as it stores it (a GEMM epilogue: bias, GELU, a residual add). It reads the
 * producer's inputs, then the group's other externals in order; null where it cannot.
 */
export type EpilogueCompiler<N extends BackendName> = (
  producer: Tensor,
  root: Tensor,
  nodes: readonly Tensor[],
  externals: readonly Tensor[],
) => ((backend: BackendOf[N], args: readonly Storage[]) => Promise<Storage>) | null;

const epilogues = new Map<string, EpilogueCompiler<any>>();

/** Registers `backend`'s kernel for `op` with an elementwise epilogue; one per (op, backend). */
export function registerEpilogue<N extends BackendName>(op: Primitive, backend: N, compile: EpilogueCompiler<N>): void {
  if (epilogues.has(key(op.name, backend))) throw new Error(`internal: a ${backend} epilogue kernel for ${op.name} is already registered`);
  epilogues.set(key(op.name, backend), compile);
}

/** Whether `backend` can compute `op` with an epilogue. */
export const hasEpilogue = (op: Primitive | null, backend: BackendName): boolean => !!op && epilogues.has(key(op.name, backend));

/** `producer` and the group of `root` (which reads it) as one kernel on `backend`, or null. */
export function epilogueLoweringFor(producer: Tensor, root: Tensor, nodes: readonly Tensor[], externals: readonly Tensor[], backend: BackendName): Lowering | null {
  return (epilogues.get(key(producer.op!.name, backend))?.(producer, root, nodes, externals) as Lowering | null | undefined) ?? null;
}

/** A backend's lowering of a row op's statistics kernel over buffers `args`, or null (then the portable one runs). */
export type RowStatsCompiler<N extends BackendName> = (
  kernel: RowStatsKernel,
  args: readonly string[],
) => ((backend: BackendOf[N], args: readonly Storage[]) => Promise<Storage>) | null;

const rowStatsTable = compilerTable<RowStatsCompiler<any>>('row statistics');

/** Registers `backend`'s compiler for row statistics kernels; one per backend. */
export const registerRowStatsKernel: <N extends BackendName>(backend: N, compile: RowStatsCompiler<N>) => void = rowStatsTable.register;

/** How a row op's statistics are computed on `backend`. */
export function rowStatsLoweringFor(kernel: RowStatsKernel, args: readonly string[], backend: BackendName): Lowering {
  return (rowStatsTable.get(backend)?.(kernel, args) as Lowering | null) ?? portableRowStats(kernel, args);
}

/** Whether `backend` registered its own kernel for `op` (then the op is never fused with others there). */
export function hasOwnKernel(op: Primitive<any>, backend: BackendName): boolean {
  return table.has(key(op.name, backend));
}

/**
 * How `t` is computed on `backend`: its registered kernel, else (an elementwise op) the backend's
 * elementwise compiler's, else the primitive's portable lowering.
 */
export function loweringFor(t: Tensor, backend: BackendName, strides?: InputStrides): Lowering {
  const op = t.op!;
  const own = table.get(key(op.name, backend));
  if (strides && !readsStrided(op, backend)) throw new Error(`internal: ${op.name} on ${backend} cannot read strided inputs`);
  if (own) return own.lower(t, t.inputs, t.attrs, strides);
  const inputs = [...new Set(t.inputs)];
  const single = isElementwise(op) ? fusedTable.get(backend)?.(t, [t], inputs) : null;
  // positions taken now: the lowering may outlive the graph (plan-cache.ts)
  const positions = inputs.map((i) => t.inputs.indexOf(i));
  if (!single) return portableLowering(t, strides);
  const run: Lowering = (be, args) => single(be, positions.map((k) => args[k]));
  const program = (single as Lowering).program;
  if (!program) return run;
  // the program reads the distinct inputs, then its own kernels' results: renumbered over the op's inputs
  const at = (a: number) => (a < positions.length ? positions[a] : a - positions.length + t.inputs.length);
  return Object.assign(run, { program: { ...program, kernels: program.kernels.map((k) => ({ ...k, args: (k.args ?? positions.map((_, i) => i)).map(at) })) } });
}
