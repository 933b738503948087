// jit: trace once, run the plan. The first call with given input shapes (and static arguments, and
// backend) runs `f` on placeholder tensors, which only records its graph; the graph is planned once
// (fusion groups, kernels, buffer lifetimes, which results to keep) and later calls with the same
// signature replay that plan without re-entering `f`. Per-call values (learning rate, step count,
// dropout seed) must be tensor arguments: every other value is static, part of the cache key, and
// host data made inside `f` is a constant of the plan, uploaded once.
import type { Backend, CompiledPipeline, Storage } from './backend.js';
import { makePlan, runPlan, tensorAt, timed, type Plan } from './plan.js';
import { recordPlan, type RecordedPlan } from './plan-pipeline.js';
import { backend, isolated, onBackend, realize } from './runtime.js';
import { postOrder, Tensor } from './tensor.js';
import { isPlainObject, tensorsIn, unflatten } from './tree.js';
import { platform } from '#platform';

/** How one compiled entry runs. */
export interface JitEntryInfo {
  /** the input shapes and static arguments it was compiled for */
  readonly signature: string;
  readonly backend: string;
  /**
   * gpu.js's pipeline executor when the plan runs as one pipeline ('fused-threaded', 'fused-sync',
   * 'fused-encoder', 'generic'; null before its first run), else 'cached': the plan's steps
   * replayed one kernel call each
   */
  readonly executorKind: string | null;
  /** why the plan does not run as a fused pipeline (null when it does) */
  readonly fallbackReason: string | null;
  readonly steps: number;
}

/** A compiled function: `f`'s arguments, a promise of its result, and what it compiled. */
export type Jitted<A extends unknown[], R> = ((...args: A) => Promise<R>) & JitControls;

export interface JitControls {
  /** plans compiled so far: one per new input signature or backend */
  readonly compilations: number;
  readonly entries: readonly JitEntryInfo[];
  /** releases the plans' constants; the function cannot be called afterwards */
  dispose(): void;
}

interface Entry {
  readonly signature: string;
  readonly plan: Plan;
  /** the plan as one gpu.js pipeline, while it runs as one */
  pipeline: { readonly recorded: RecordedPlan; readonly compiled: CompiledPipeline } | null;
  /** why it does not run as a pipeline */
  declined: string | null;
  /** whether its pipeline has run (gpu.js picks the executor then) */
  ran: boolean;
  readonly backend: Backend;
  /** plan slot of each input tensor, in argument order (-1: f does not use it) */
  readonly inputSlots: readonly number[];
  /** realized tensors f closed over (or made as constants), bound by slot */
  readonly captured: ReadonlyArray<readonly [number, Tensor]>;
  /** constants f made, uploaded once and owned by the entry */
  readonly constants: readonly Tensor[];
  readonly result: unknown;
  readonly outputSlots: readonly number[];
}

/** The cache key of an argument tree: tensor shapes and every static value, or an error naming what cannot be static. */
function signatureOf(value: unknown, path: string): string {
  if (value instanceof Tensor) return `T[${value.shape.join(',')}]`;
  if (Array.isArray(value)) return `[${value.map((v, i) => signatureOf(v, `${path}[${i}]`)).join(',')}]`;
  if (isPlainObject(value)) return `{${Object.keys(value).map((k) => `${JSON.stringify(k)}:${signatureOf(value[k], `${path}.${k}`)}`).join(',')}}`;
  if (value === undefined || value === null || ['number', 'string', 'boolean'].includes(typeof value)) return JSON.stringify(value) ?? 'undefined';
  throw new TypeError(`jit: argument ${path} is ${typeof value === 'function' ? 'a function' : 'an object that is neither a tensor, an array nor a plain record'}: close over it in f instead`);
}

const debug = () => platform.setting('SHAPED_VIT_DEBUG') === '1';
/** A signature short enough for a debug line. */
const brief = (signature: string) => (signature.length > 120 ? `${signature.slice(0, 60)}…${signature.slice(-50)}` : signature);

function infoOf(e: Entry): JitEntryInfo {
  const p = e.pipeline?.compiled;
  return {
    signature: e.signature,
    backend: e.backend.name,
    executorKind: p ? p.executorKind : 'cached',
    fallbackReason: p ? p.fallbackReason : e.declined,
    steps: e.plan.steps.length,
  };
}

const hostValues = (backend: Backend, s: Storage) => (s.raw instanceof Float32Array ? Promise.resolve(s.raw) : backend.read(s));

/** Runs the entry's pipeline; the targets' storage in plan order. */
async function runPipeline(e: Entry, backend: Backend, bound: ReadonlyMap<number, Storage>, name: string): Promise<Storage[]> {
  const { recorded, compiled } = e.pipeline!;
  const args = await Promise.all(recorded.argSlots.map((s) => hostValues(backend, bound.get(s)!)));
  const results = await timed(`pipeline(${recorded.program.kernels.length} kernels)`, () => compiled.run(args));
  const first = !e.ran;
  e.ran = true;
  if (compiled.executedOn === 'cpu' && backend.name !== 'cpu') {
    // never a silent degradation to cpu: later calls replay the plan kernel by kernel
    e.declined = `gpu.js ran the pipeline on cpu (${compiled.fallbackReason ?? 'no reason given'})`;
    compiled.destroy();
    e.pipeline = null;
  }
  if (debug() && first) {
    console.error(e.pipeline ? `jit: ${name} (${brief(e.signature)}) runs as one gpu.js pipeline, executor ${compiled.executorKind}${compiled.fallbackReason ? ` (${compiled.fallbackReason})` : ''}` : `jit: ${name} (${brief(e.signature)}) runs kernel by kernel: ${e.declined}`);
  }
  const storages = results.map((v) => backend.fromHost(v));
  const used = new Set<number>();
  return recorded.targets.map((t) => {
    if ('arg' in t) return backend.retain(bound.get(recorded.argSlots[t.arg])!);
    const s = storages[t.result];
    return used.has(t.result) ? backend.retain(s) : (used.add(t.result), s);
  });
}

export interface JitOptions {
  /** the name debug output and errors use (default: f's name) */
  readonly name?: string;
  /**
   * How compiled plans run: 'auto' (default) records a plan made only of gpu.js kernels as one
   * pipeline where the backend prefers it (not on a software WebGPU adapter), 'pipeline' wherever
   * it can, 'kernels' never
   */
  readonly executor?: 'auto' | 'pipeline' | 'kernels';
}

/**
 * `f` compiled: calls take the same arguments and resolve to the same tree with realized tensors
 * (owned by the caller). `f` must build its result synchronously from its arguments.
 */
export function jit<A extends unknown[], R>(f: (...args: A) => R, options: JitOptions = {}): ((...args: A) => Promise<R>) & JitControls {
  const entries = new Map<string, Entry>();
  // compilations under way: concurrent first calls with one signature share one
  const compiling = new Map<string, Promise<Entry>>();
  let compilations = 0;
  let disposed = false;
  const name = options.name ?? (f.name || 'f');

  async function compile(args: A, inputs: readonly Tensor[], signature: string): Promise<Entry> {
    const placeholders = inputs.map((t) => new Tensor(t.shape, null, [], undefined, null));
    const held = new Set(placeholders);
    const result = isolated(() => f(...unflatten(args, placeholders)));
    if (result instanceof Promise) throw new Error(`jit: ${name} returned a promise; f must build its result synchronously (no await inside)`);
    const outputs = tensorsIn(result);
    const order = postOrder(outputs, (t) => t.storage !== null || held.has(t));
    for (const t of order) if (t.disposed) throw new Error(`jit: ${name} uses ${t}, which was disposed`);
    // constants f made: uploaded now, once, and bound like captured tensors
    const constants = order.filter((t) => t.host && !t.storage);
    if (constants.length) await realize(constants);
    return onBackend(async (backend) => {
      const plan = makePlan(outputs, order, backend.name, (t) => t.storage !== null || held.has(t));
      const slotOf = new Map(plan.nodes.map((t, s) => [t, s]));
      const captured = plan.bound.filter((s) => !held.has(tensorAt(plan, s))).map((s) => [s, tensorAt(plan, s)] as const);
      const executor = options.executor ?? 'auto';
      const recorded = executor === 'kernels' ? { reason: "executor 'kernels' was asked for" } : recordPlan(plan);
      const wanted = executor === 'pipeline' || backend.jitPipelines;
      const pipeline = 'program' in recorded && wanted ? { recorded, compiled: backend.pipeline(recorded.program) } : null;
      const declined = 'reason' in recorded ? recorded.reason : pipeline ? null : `on ${backend.description} the backend's own kernels run one by one (faster, or keeping state on the device)`;
      if (debug()) console.error(`jit: compiled ${name} for ${brief(signature)} on ${backend.name}: ${plan.steps.length} steps, ${pipeline ? 'one gpu.js pipeline' : `kernel by kernel (${declined})`}`);
      compilations++;
      return { signature, plan, pipeline, declined, ran: false, backend, inputSlots: placeholders.map((p) => slotOf.get(p) ?? -1), captured, constants, result, outputSlots: outputs.map((t) => slotOf.get(t)!) };
    });
  }

  /** Runs the plan step by step; the outputs' storage in order. */
  async function replay(e: Entry, backend: Backend, bound: ReadonlyMap<number, Storage>): Promise<Storage[]> {
    const store = await runPlan(e.plan, backend, bound);
    const given = new Set<number>();
    return e.outputSlots.map((s) => {
      // a result that is an input, a captured tensor or an earlier result shares its storage
      const storage = bound.has(s) || given.has(s) ? backend.retain(store[s]!) : store[s]!;
      given.add(s);
      return storage;
    });
  }

  async function call(...args: A): Promise<R> {
    if (disposed) throw new Error(`jit: ${name} was disposed`);
    const inputs = tensorsIn(args);
    for (const t of inputs) if (t.disposed) throw new Error(`jit: ${name} got ${t}, which was disposed`);
    const lazy = inputs.filter((t) => !t.storage);
    if (lazy.length) await realize(lazy);
    const be = await backend();
    const signature = `${be.name}:${signatureOf(args, 'args')}`;
    let e = entries.get(signature);
    if (!e) {
      let made = compiling.get(signature);
      if (!made) compiling.set(signature, (made = compile(args, inputs, signature).finally(() => compiling.delete(signature))));
      e = await made;
      entries.set(signature, e);
    }
    return onBackend(async (backend) => {
      if (backend !== e.backend) throw new Error(`jit: ${name} was compiled for ${e.backend.name}, the active backend is ${backend.name}`);
      const bound = new Map<number, Storage>();
      inputs.forEach((t, k) => {
        if (e.inputSlots[k] < 0) return;
        if (t.backend !== backend) throw new Error(`jit: ${name}: ${t} lives on backend ${t.backend?.name}, not ${backend.name}`);
        bound.set(e.inputSlots[k], t.storage!);
      });
      for (const [s, t] of e.captured) {
        if (!t.storage) throw new Error(`jit: ${name} closed over ${t}, which was disposed after it was compiled`);
        bound.set(s, t.storage);
      }
      const storages = e.pipeline ? await runPipeline(e, backend, bound, name) : await replay(e, backend, bound);
      const outputs = storages.map((storage, k) => {
        const t = new Tensor(tensorAt(e.plan, e.outputSlots[k]).shape, null, [], undefined, null);
        t.storage = storage;
        t.backend = backend;
        return t;
      });
      return unflatten(e.result as R, outputs);
    });
  }

  const dispose = () => {
    disposed = true;
    for (const e of entries.values()) {
      for (const t of e.constants) t.dispose();
      e.pipeline?.compiled.destroy();
    }
    entries.clear();
  };
  return Object.defineProperties(call, {
    compilations: { get: () => compilations },
    entries: { get: () => [...entries.values()].map(infoOf) },
    dispose: { value: dispose },
  }) as Jitted<A, R>;
}
