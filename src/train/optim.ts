// Optimizers as pure { init, update } pairs over parameter trees (Optax style), composed with
// `chain`. Per-step scalars (learning rate, bias corrections) enter as tiny tensors, not kernel
// constants, so kernels compile once; given as tensors (jit inputs), they are computed in the graph.
// The learning rate is given as in Optax, at construction (a number or a schedule of the update
// count), or per step in `update`'s StepInfo (which then wins, so a schedule can run on the host).
import { add, addScalar, constant, div, exp, keep, mapTree, mul, mulScalar, ravelPytree, rsqrt, sqrt, zeros, zipTrees, type Tensor } from '../dsl/index.js';
import { isolated } from '../dsl/runtime.js';

/** A per-step value: a number, or a scalar tensor (a per-call input of a jitted step). */
export type StepScalar = number | Tensor<[]>;

const scalar = (x: number) => constant(Float32Array.of(x), []);

/** 1 - beta^count, computed on the host for a number and in the graph (exp(count ln beta)) for a tensor. */
const oneMinusPower = (beta: number, count: Tensor<[]>) => addScalar(mulScalar(exp(mulScalar(count, Math.log(beta))), -1), 1);

/** A gradient transformation: turns updates (initially gradients) into new updates. */
export interface Transform<S> {
  init(params: unknown): S;
  update<P>(updates: P, state: S, params: P, step: StepInfo): [P, S];
}

/** What a transformation may know about the current step. */
export interface StepInfo {
  /** 1-based count of updates, including this one */
  readonly count: StepScalar;
  /** this step's learning rate; when given it overrides the one the optimizer was built with */
  readonly learningRate?: StepScalar;
}

/** Optax-style learning rate: a number, or a schedule of the count of updates done before this one (0 first). */
export type LearningRate = number | ((count: number) => number);

/** An optimizer: a transformation that may carry its own learning rate (`optim.adam({ learningRate })`). */
export interface Optimizer extends Transform<unknown[]> {
  readonly learningRate?: LearningRate;
}

/** The learning rate for update number `count` (1-based), on the host. */
export function learningRateAt(rate: LearningRate, count: number): number {
  const lr = typeof rate === 'number' ? rate : rate(count - 1);
  if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`learning rate must be a finite number >= 0, got ${lr}${typeof rate === 'number' ? '' : ` from the schedule at count ${count - 1}`}`);
  return lr;
}

const zerosLike = (tree: unknown) => mapTree(tree, (t) => zeros(t.shape));

/** L2 penalty added to the gradient (torch Adam/SGD `weight_decay`). */
export function addWeightDecay(weightDecay: number): Transform<null> {
  return {
    init: () => null,
    update: (updates, state, params) =>
      weightDecay === 0 ? [updates, state] : [zipTrees([updates, params], (u, p) => add(u, mulScalar(p, weightDecay))), state],
  };
}

export interface AdamState {
  readonly m: unknown;
  readonly v: unknown;
}

/** Adam's normalized step m̂ / (sqrt(v̂) + eps), with torch's bias corrections. */
export function scaleByAdam(beta1 = 0.9, beta2 = 0.999, eps = 1e-8): Transform<AdamState> {
  return {
    init: (params) => ({ m: zerosLike(params), v: zerosLike(params) }),
    update: (updates, state, _params, { count }) => {
      const m = zipTrees([updates, state.m], (g, m) => add(mulScalar(m, beta1), mulScalar(g, 1 - beta1)));
      const v = zipTrees([updates, state.v], (g, v) => add(mulScalar(v, beta2), mulScalar(mul(g, g), 1 - beta2)));
      const c1 = typeof count === 'number' ? scalar(1 / (1 - beta1 ** count)) : div(scalar(1), oneMinusPower(beta1, count));
      const c2 = typeof count === 'number' ? scalar(1 / Math.sqrt(1 - beta2 ** count)) : rsqrt(oneMinusPower(beta2, count));
      const out = zipTrees([m, v], (m, v) => div(mul(m, c1), addScalar(mul(sqrt(v), c2), eps)));
      return [out as typeof updates, { m, v }];
    },
  };
}

/** Decoupled weight decay (AdamW): adds wd·p to the update before the learning rate scales it. */
export function addDecayedWeights(weightDecay: number): Transform<null> {
  return addWeightDecay(weightDecay);
}

/** Heavy-ball momentum as torch SGD: buf = μ·buf + g (no dampening). */
export function trace(momentum: number): Transform<unknown> {
  return {
    init: (params) => (momentum === 0 ? null : zerosLike(params)),
    update: (updates, state, _params) => {
      if (momentum === 0) return [updates, state];
      const buf = zipTrees([updates, state], (g, b) => add(mulScalar(b, momentum), g));
      return [buf as typeof updates, buf];
    },
  };
}

/** Multiplies updates by −lr: this step's learning rate if given, else `rate` (at this count, for a schedule). */
export function scaleByLearningRate(rate?: LearningRate): Transform<null> {
  if (typeof rate === 'number') learningRateAt(rate, 1);
  return {
    init: () => null,
    update: (updates, state, _params, { count, learningRate }) => {
      let lr: StepScalar;
      if (learningRate !== undefined) lr = learningRate;
      else if (rate === undefined) throw new Error('no learning rate: build the optimizer with one (optim.adam({ learningRate: 1e-3 })) or pass learningRate to update');
      else if (typeof rate === 'number') lr = rate;
      else if (typeof count === 'number') lr = learningRateAt(rate, count);
      else throw new Error('a learning-rate schedule needs the update count as a number; with a tensor count (inside jit) pass this step\'s learningRate, as trainStep does');
      const neg = typeof lr === 'number' ? scalar(-lr) : mulScalar(lr, -1);
      return [zipTrees([updates], (u) => mul(u, neg)), state];
    },
  };
}

/** Runs transformations in order; the state is the tuple of their states. */
export function chain(...transforms: Transform<any>[]): Transform<unknown[]> {
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update: (updates, state, params, step) => {
      const next: unknown[] = [];
      let u = updates;
      transforms.forEach((t, k) => {
        const [nu, ns] = t.update(u, state[k], params, step);
        u = nu;
        next.push(ns);
      });
      // the new state feeds the updates, yet the caller holds it: computed with them, it is kept
      return [u, keep(next)];
    },
  };
}

/**
 * optax.flatten: `inner` run on the tree raveled into one vector (ravelPytree), so its state is
 * flat vectors and each of its elementwise steps is one kernel over every parameter, not one per
 * tensor (the same float operations, so the same values); updates come back as a tree.
 */
export function flatten<S>(inner: Transform<S>): Transform<S> {
  return {
    // the raveled parameters only tell init the state's layout unless it keeps them: built
    // isolated, an unused vector is never computed beside the state (a pending sibling)
    init: (params) => inner.init(isolated(() => ravelPytree(params)[0])),
    update: (updates, state, params, step) => {
      const [flat, unravel] = ravelPytree(updates);
      const [u, next] = inner.update(flat, state, ravelPytree(params)[0], step);
      return [unravel(u), next];
    },
  };
}

/** params + updates */
export function applyUpdates<P>(params: P, updates: P): P {
  return zipTrees([params, updates], (p, u) => add(p, u));
}

/** Options every optimizer takes: its learning rate (else given per step) and weight decay. */
export interface OptimizerOptions {
  readonly learningRate?: LearningRate;
  readonly weightDecay?: number;
}
type AdamOptions = OptimizerOptions & { readonly betas?: readonly [number, number]; readonly eps?: number };

// the library's optimizers run flat (flatten): their state is one vector per moment, and the
// same float operations run as per tensor, in a few kernels over every parameter
const withRate = (t: Transform<unknown[]>, learningRate: LearningRate | undefined): Optimizer => (learningRate === undefined ? flatten(t) : { ...flatten(t), learningRate });

/** torch.optim.Adam(lr, betas, eps, weight_decay): L2 penalty added to the gradient. */
export const adam = (o: AdamOptions = {}): Optimizer =>
  withRate(chain(addWeightDecay(o.weightDecay ?? 0), scaleByAdam(o.betas?.[0], o.betas?.[1], o.eps), scaleByLearningRate(o.learningRate)), o.learningRate);

/** torch.optim.AdamW: decoupled weight decay (default 0.01). */
export const adamw = (o: AdamOptions = {}): Optimizer =>
  withRate(chain(scaleByAdam(o.betas?.[0], o.betas?.[1], o.eps), addDecayedWeights(o.weightDecay ?? 0.01), scaleByLearningRate(o.learningRate)), o.learningRate);

/** torch.optim.SGD(lr, momentum, weight_decay). */
export const sgd = (o: OptimizerOptions & { readonly momentum?: number } = {}): Optimizer =>
  withRate(chain(addWeightDecay(o.weightDecay ?? 0), trace(o.momentum ?? 0), scaleByLearningRate(o.learningRate)), o.learningRate);
