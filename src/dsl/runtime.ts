// Evaluates the lazy graph. Memory rule (deterministic, no GC involved):
// - leaves (tensors made from host data) and tensors you realize (`data()`, `realize`) own device
//   memory until `dispose()` (or the end of a `tidy` scope);
// - an evaluation also realizes its pending siblings: tensors made since the previous evaluation
//   that nothing consumes (or that `keep` marks) and that share work with it (the new parameters
//   and optimizer state beside the loss you read), so reading one value never makes the next read
//   recompute the rest;
// - every other intermediate is freed as soon as the evaluation that needed it has used it for the
//   last time; asking for it again recomputes it from its inputs.
import { platform } from '#platform';
import { backendNames, type Backend, type BackendName, type MemoryInfo } from './backend.js';
import { createBackend } from './backends/index.js';
import { onTensorCreated, postOrder, setReader, Tensor } from './tensor.js';
import { isPlainObject, tensorsIn } from './tree.js';
import { runPlan, tensorAt, timed } from './plan.js';
import { evaluationPlan } from './plan-cache.js';
import './kernels/index.js';

let chosen: BackendName | null = null;
let active: Promise<Backend> | null = null;
const created = new Map<BackendName, Promise<Backend | null>>();

function backendInstance(name: BackendName): Promise<Backend | null> {
  let b = created.get(name);
  if (!b) created.set(name, (b = createBackend(name)));
  return b;
}

function parseName(name: string, source: string): BackendName {
  if ((backendNames as readonly string[]).includes(name)) return name as BackendName;
  throw new Error(`${source}: unknown backend '${name}' (choose one of ${backendNames.join(', ')})`);
}

/** Picks the backend explicitly; the default is SHAPED_VIT_BACKEND, else the fastest usable one. */
export function setBackend(name: BackendName): void {
  chosen = parseName(name, 'setBackend');
  active = null;
}

/**
 * Which backends this machine can run. WebGPU is looked for as the default choice looks (in Node a
 * child process, so Dawn's start-up warnings do not reach this process's stderr) until it is used.
 */
export async function availableBackends(): Promise<BackendName[]> {
  const out: BackendName[] = [];
  for (const name of backendNames) {
    const usable = name === 'webgpu' && !created.has(name) ? (await platform.probeWebGpu()) !== null : (await backendInstance(name)) !== null;
    if (usable) out.push(name);
  }
  return out;
}

async function pickDefault(): Promise<Backend> {
  const env = platform.setting('SHAPED_VIT_BACKEND');
  const name = chosen ?? (env ? parseName(env, 'SHAPED_VIT_BACKEND') : null);
  if (name) {
    const b = await backendInstance(name);
    if (!b) throw new Error(`backend '${name}' is not usable on this machine`);
    return b;
  }
  // a GPU adapter wins (in Node only a hardware one); otherwise webasm, measured fastest of the CPU
  // paths here (README, npm run bench); headless GL (software on CPU-only machines) only when asked for
  const adapter = await platform.probeWebGpu();
  if (adapter && (platform.defaultWebGpu === 'any' || !adapter.software)) {
    const webgpu = await backendInstance('webgpu');
    if (webgpu) return webgpu;
  }
  for (const n of ['webasm', 'cpu'] as const) {
    const b = await backendInstance(n);
    if (b) return b;
  }
  throw new Error('no usable backend');
}

/** The backend evaluations run on. */
export function backend(): Promise<Backend> {
  return (active ??= pickDefault());
}

/** Device memory held on the active backend now, and its peak (`resetPeak` starts a new one). */
export async function memory(): Promise<MemoryInfo> {
  return (await backend()).memory();
}

/** Starts a new peak of `memory().peakBytes` on the active backend (e.g. before the step you measure). */
export async function resetPeakMemory(): Promise<void> {
  (await backend()).resetPeak();
}

// Evaluations run one at a time: they share graph nodes and backend state.
let queue: Promise<unknown> = Promise.resolve();

function serialized<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work, work);
  queue = run.catch(() => undefined);
  return run;
}

/** Tensors needed for `targets`, inputs first, down to realized ones (where it stops). */
function planOf(targets: readonly Tensor[]): Tensor[] {
  const order = postOrder(targets, (t) => t.storage !== null);
  for (const t of order) if (t.disposed) throw new Error(`cannot evaluate: ${t} was disposed`);
  return order;
}

// Op results created since the last evaluation began: the candidates for its pending siblings.
let recent: Tensor[] = [];
const held = new WeakSet<Tensor>();

/**
 * Marks the tensors of a pytree as values the program holds (optimizer state, say) though other
 * pending tensors consume them: whichever evaluation computes one keeps it, as a pending sibling.
 */
export function keep<T>(tree: T): T {
  for (const t of tensorsIn(tree)) held.add(t);
  return tree;
}
onTensorCreated((t) => {
  if (t.op) recent.push(t);
});

// What a pendingSiblings pass learns of a tensor, as flags stamped with the pass (Tensor.siblingMarks
// = pass * 16 + flags): no set is filled per evaluation, and an older pass's flags read as none.
const Consumed = 1;
const Planned = 2;
const SharesWork = 4;
const ReachesDisposed = 8;
let passes = 0;

/**
 * Pending siblings of an evaluation: tensors made since the last evaluation that nothing consumes
 * or that are kept (the values a program still holds: new parameters and optimizer state beside a
 * loss) and whose graphs share work with `order`. Computing them now, with it, is what keeps a
 * later read from recomputing that work.
 */
function pendingSiblings(targets: readonly Tensor[], order: readonly Tensor[]): Tensor[] {
  const window = recent;
  recent = [];
  const base = ++passes * 16;
  const flags = (t: Tensor) => (t.siblingMarks >= base ? t.siblingMarks - base : 0);
  const mark = (t: Tensor, f: number) => (t.siblingMarks = base + (flags(t) | f));
  for (const t of window) for (const i of t.inputs) mark(i, Consumed);
  const candidates: Tensor[] = [];
  for (const t of window) if (!(t.disposed || t.storage || (flags(t) & Consumed && !held.has(t)) || targets.includes(t))) candidates.push(t);
  if (!candidates.length) return candidates;
  for (const t of order) mark(t, Planned);
  const planned = (t: Tensor) => (flags(t) & Planned) !== 0;
  // one walk over the unplanned candidates' graphs (down to realized or planned tensors): which
  // reach a disposed tensor, which share work with the evaluation
  const stop = (u: Tensor) => u.storage !== null || planned(u);
  for (const u of postOrder(candidates.filter((t) => !planned(t)), stop)) {
    let found = u.disposed ? ReachesDisposed : 0;
    if (stop(u)) found |= planned(u) ? SharesWork : 0;
    else for (const i of u.inputs) found |= flags(i) & (ReachesDisposed | SharesWork);
    if (found) mark(u, found);
  }
  return candidates.filter((t) => (planned(t) ? held.has(t) : (flags(t) & (SharesWork | ReachesDisposed)) === SharesWork));
}

async function evaluate(be: Backend, requested: readonly Tensor[]): Promise<void> {
  const targets = [...requested, ...pendingSiblings(requested, planOf(requested).filter((t) => !t.storage))];
  const order = planOf(targets);
  for (const t of order) {
    if (t.storage && t.backend !== be) throw new Error(`${t} lives on backend ${t.backend?.name}, not ${be.name}`);
  }
  const { plan, ran } = evaluationPlan(targets, order, be.name);
  const store = await runPlan(plan, be, new Map(plan.bound.map((s) => [s, tensorAt(plan, s).storage!])));
  ran();
  plan.nodes.forEach((t, s) => {
    const storage = store[s];
    if (!t || !storage || t.storage) return;
    t.storage = storage;
    t.backend = be;
    t.host = null;
  });
  // realized targets become leaves: their history can be garbage-collected (a pullback keeps its
  // own record of the graph it differentiates, autodiff.ts)
  for (const t of targets) {
    t.op = null;
    t.inputs = [];
  }
}

/**
 * Builds a graph in isolation (jit's tracing): the tensors `build` makes join no open `tidy` scope
 * and are never pending siblings of a later evaluation.
 */
export function isolated<T>(build: () => T): T {
  const window = recent;
  const outer = syncScope;
  recent = [];
  syncScope = new Set();
  try {
    return build();
  } finally {
    recent = window;
    syncScope = outer;
  }
}

/** Runs `work` on the active backend as one evaluation (serialized with every other). */
export function onBackend<T>(work: (backend: Backend) => Promise<T>): Promise<T> {
  return serialized(async () => work(await backend()));
}

/** Computes the given tensors (one evaluation, shared intermediates) and keeps their values on the device. */
export function realize(targets: readonly Tensor[]): Promise<void> {
  return serialized(async () => evaluate(await backend(), targets));
}

export function readTensor(t: Tensor): Promise<Float32Array> {
  return serialized(async () => {
    const be = await backend();
    await evaluate(be, [t]);
    return timed('read', () => be.read(t.storage!));
  });
}
setReader(readTensor);

// --- scopes --------------------------------------------------------------------------------------

// `tidy` scopes follow async calls (the platform's store: AsyncLocalStorage on Node); a synchronous
// build's scope (`isolated`, jit's tracing) is a plain variable. On Node the store's first `run`
// turns on async hooks for every promise of the process (a training step awaits hundreds) and each
// lookup costs ~0.1 us per tensor made: a program that never calls tidy pays for neither.
const scopeStore = platform.scopeStore<Set<Tensor>>();
let syncScope: Set<Tensor> | undefined;
let tidied = false;
const currentScope = () => syncScope ?? (tidied ? scopeStore.current() : undefined);
onTensorCreated((t) => currentScope()?.add(t));

/** Something that holds tensors it did not return (a pullback's graph): released with its scope. */
interface Holder {
  dispose(): void;
}
const holdersOf = new WeakMap<Set<Tensor>, Map<Holder, () => readonly Tensor[]>>();
const heldBy = new WeakMap<object, () => readonly Tensor[]>();

/**
 * @internal Registers `holder` (a pullback) with the open `tidy` scope: the scope disposes it at its
 * end, unless the scope returns it; then the tensors `needs()` lists are kept as well.
 */
export function holdInScope(holder: Holder & object, needs: () => readonly Tensor[]): void {
  heldBy.set(holder, needs);
  const scope = currentScope();
  if (!scope) return;
  let holders = holdersOf.get(scope);
  if (!holders) holdersOf.set(scope, (holders = new Map()));
  holders.set(holder, needs);
}

/** The holders in a result (functions and objects inside arrays and plain records). */
function holdersIn(value: unknown, out: Set<object>, seen = new Set<unknown>()): Set<object> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || value instanceof Tensor || seen.has(value)) return out;
  seen.add(value);
  if (heldBy.has(value)) out.add(value);
  if (Array.isArray(value)) for (const v of value) holdersIn(v, out, seen);
  else if (isPlainObject(value)) for (const v of Object.values(value)) holdersIn(v, out, seen);
  return out;
}

function ancestorsOf(roots: readonly Tensor[]): Set<Tensor> {
  const out = new Set<Tensor>();
  const stack = [...roots];
  while (stack.length) {
    const t = stack.pop()!;
    if (out.has(t)) continue;
    out.add(t);
    stack.push(...t.inputs);
  }
  return out;
}

/**
 * Runs `fn` and disposes every tensor created inside it, except the ones in its result (and what
 * they still need to be computed, and what the pullbacks in it hold); pullbacks made inside and not
 * returned are disposed. Works with async functions (in browsers, await one async tidy before
 * starting another: see scope-stack.ts).
 */
export async function tidy<T>(fn: () => T | Promise<T>): Promise<T> {
  const scope = new Set<Tensor>();
  // the scope this one's kept tensors and pullbacks go to (where fn's awaits resume, the same one)
  const outer = currentScope();
  const outerSync = syncScope;
  tidied = true;
  syncScope = undefined;
  let running: T | Promise<T>;
  try {
    running = scopeStore.run(scope, fn);
  } finally {
    syncScope = outerSync;
  }
  const result = await running;
  const returned = holdersIn(result, new Set());
  const kept = ancestorsOf([...tensorsIn(result), ...[...returned].flatMap((h) => heldBy.get(h)!())]);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  const holders = holdersOf.get(scope);
  holdersOf.delete(scope);
  for (const [h, needs] of holders ?? []) {
    if (!returned.has(h)) h.dispose();
    else if (outer) holdInScope(h, needs);
  }
  if (outer) for (const t of kept) if (scope.has(t)) outer.add(t);
  return result;
}

/** Disposes every tensor in a pytree. */
export function disposeTree(value: unknown): void {
  for (const t of tensorsIn(value)) t.dispose();
}
