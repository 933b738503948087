// One training step and one evaluation step as pure functions of (state, batch): each builds the
// whole computation lazily (forward, backward, optimizer) and evaluates it at once, compiled with
// `jit` (traced on the first batch of each size, replayed after) unless `jit: false`.
import { argmax, constant, crossEntropy, disposeTree, equal, jit, labelTensor, mean, ravelPytree, realize, scalar, sum, tensorsIn, valueAndGradWithAux, type JitEntryInfo, type JitOptions, type Seed, type Tensor } from '../dsl/index.js';
import { vit, type VitConfig, type VitConfigInput, type VitParams } from '../vit/index.js';
import type { BatchImages, Classifier, ImageModelConfig } from './models.js';
import { applyUpdates, flatten, learningRateAt, type LearningRate, type Transform } from './optim.js';

/** The state of a training run; `P` is the model's parameter tree (default a ViT's). */
export interface TrainState<P = VitParams> {
  readonly params: P;
  /** the optimizer's state over the parameters raveled into one vector (optim.flatten) */
  readonly opt: unknown;
  /** optimizer updates done so far */
  readonly step: number;
}

export interface Batch {
  /** count × C × H × W normalized floats */
  readonly images: Float32Array;
  readonly labels: ArrayLike<number>;
  readonly count: number;
}

export interface StepMetrics {
  /** mean loss over the batch */
  readonly loss: number;
  readonly correct: number;
  readonly count: number;
}

export interface StepOptions {
  readonly labelSmoothing: number;
  /** seed of dropout masks; each step offsets it */
  readonly seed?: number;
  /** compile the step with `jit` (default true); false builds and evaluates its graph every call */
  readonly jit?: boolean;
  /** how the compiled step runs (JitOptions.executor; default 'auto') */
  readonly executor?: JitOptions['executor'];
}

/** Per-call values of a training step: inputs of the compiled step, never frozen into it. */
interface StepScalars {
  readonly count: Tensor<[]>;
  readonly learningRate: Tensor<[]>;
  readonly seed: Tensor<[]>;
}

/** The dropout seed of a step: an integer below 2^24, exact as a float32 tensor. */
const dropoutSeed = (seed: number, step: number) => (((seed * 1_000_003 + step * 7919) % 2 ** 24) + 2 ** 24) % 2 ** 24;

/** `f` compiled, or `f` evaluated at once each call (no compiled entries). */
function compiled<A extends unknown[], R>(f: (...args: A) => R, options: StepOptions, name: string): ((...args: A) => Promise<R>) & { readonly entries: readonly JitEntryInfo[] } {
  if (options.jit ?? true) return jit(f, { name, executor: options.executor });
  const eager = async (...args: A) => {
    const result = f(...args);
    await realize(tensorsIn(result));
    return result;
  };
  return Object.assign(eager, { entries: [] });
}

/** A step function and how its compiled entries run (jit's executor, per batch shape). */
const withEntries = <F extends object>(step: F, run: { readonly entries: readonly JitEntryInfo[] }) =>
  Object.defineProperty(step, 'compiled', { get: () => run.entries }) as F & { readonly compiled: readonly JitEntryInfo[] };

function batchTensors<Cfg extends ImageModelConfig>(cfg: Cfg, batch: Batch): { images: BatchImages<Cfg>; labels: Tensor<[number]> } {
  const images = constant(batch.images, [batch.count, cfg.channels, cfg.imageSize, cfg.imageSize]);
  const labels = labelTensor(batch.labels, cfg.classes, batch.count);
  labels.transient = true;
  return { images, labels };
}

/** The batch's mean loss, correct count and predicted classes (argmax of the logits). */
function batchOutputs<Cfg extends ImageModelConfig, P>(model: Classifier<Cfg, P>, cfg: Cfg, params: P, images: BatchImages<Cfg>, labels: Tensor<[number]>, smoothing: number, train: boolean, seed: Seed) {
  const logits = model.apply(cfg, params, images, { train, seed });
  const predicted = argmax(logits, -1);
  return { loss: mean(crossEntropy(logits, labels, smoothing), 0), correct: sum(equal(predicted, labels)), predicted };
}

function lossAndCorrect<Cfg extends ImageModelConfig, P>(model: Classifier<Cfg, P>, cfg: Cfg, params: P, images: BatchImages<Cfg>, labels: Tensor<[number]>, smoothing: number, train: boolean, seed: Seed) {
  const { loss, correct } = batchOutputs(model, cfg, params, images, labels, smoothing, train, seed);
  return [loss, correct] as const;
}

/** The values of tensors computed together, read back in one transfer (one vector of them all). */
async function readAll(t: Tensor<[number]>): Promise<Float32Array> {
  const values = await t.data();
  t.dispose();
  return values;
}

/** The ViT as a classifier, keeping its config's literal types. */
const vitClassifier = <C extends VitConfigInput>(): Classifier<VitConfig<C>, VitParams<C>> => ({ apply: (cfg, params, images, o) => vit.apply(cfg, params, images, o) });

/**
 * Initial training state: realized parameters and optimizer state. The step runs the optimizer on
 * the parameters raveled into one vector (optim.flatten): a few kernels over one buffer update all
 * of them, not a few per parameter tensor.
 */
export async function initTrainState<P>(params: P, optimizer: Transform<unknown>): Promise<TrainState<P>> {
  const opt = flatten(optimizer).init(params);
  await realize([...tensorsIn(params), ...tensorsIn(opt)]);
  return { params, opt, step: 0 };
}

/** A batch to upload ahead: called once a step's kernels are queued, before its results are read. */
export type NextBatch = () => Batch | undefined | Promise<Batch | undefined>;

/**
 * (state, batch) -> (state', metrics) for learning rate `lr` (else the optimizer's own, as built by
 * `optim.adam({ learningRate })`). The previous state's device memory is released once the new one
 * exists. `next`, when given, is called while the step runs (its kernels queued, its results not
 * yet read): the batch it gives is made and uploaded then, while a GPU computes, and the call with
 * that batch uses the upload. `discardNext()` frees an upload that no call used.
 */
export function trainStep<C extends VitConfigInput>(cfg: VitConfig<C>, optimizer: Transform<unknown> & { readonly learningRate?: LearningRate }, options: StepOptions) {
  return modelTrainStep(vitClassifier<C>(), cfg, optimizer, options);
}

/** trainStep for any model kind (models.ts). */
export function modelTrainStep<Cfg extends ImageModelConfig, P>(model: Classifier<Cfg, P>, cfg: Cfg, optimizer: Transform<unknown> & { readonly learningRate?: LearningRate }, options: StepOptions) {
  const run = compiled(
    (params: P, opt: unknown, images: BatchImages<Cfg>, labels: Tensor<[number]>, at: StepScalars) => {
      const seed = { base: at.seed, offset: 0 };
      const [loss, correct, grads] = valueAndGradWithAux((p: P) => lossAndCorrect(model, cfg, p, images, labels, options.labelSmoothing, true, seed))(params);
      // flatten(optimizer)'s update, with the updates applied to the flat vector before it is cut back into tensors
      const [flat, unravel] = ravelPytree(params);
      const [updates, nextOpt] = optimizer.update(ravelPytree(grads)[0], opt, flat, { count: at.count, learningRate: at.learningRate });
      return { metrics: ravelPytree([loss, correct])[0], params: unravel(applyUpdates(flat, updates)), opt: nextOpt };
    },
    options,
    'trainStep',
  );
  // the batch uploaded ahead by the previous call's `next`
  let ahead: { batch: Batch; tensors: ReturnType<typeof batchTensors<Cfg>> } | null = null;
  const discardNext = () => {
    if (ahead) disposeTree([ahead.tensors.images, ahead.tensors.labels]);
    ahead = null;
  };
  const step = async (state: TrainState<P>, batch: Batch, lr?: number, next?: NextBatch): Promise<[TrainState<P>, StepMetrics]> => {
    const step = state.step + 1;
    // a schedule is evaluated here, on the host, so the compiled step takes the rate as an input
    let rate = lr;
    if (rate === undefined) {
      if (optimizer.learningRate === undefined) throw new Error('trainStep: no learning rate; pass one per step, or build the optimizer with one (optim.adam({ learningRate: 1e-3 }))');
      rate = learningRateAt(optimizer.learningRate, step);
    }
    const uploaded = ahead?.batch === batch ? ahead.tensors : null;
    if (!uploaded) discardNext();
    ahead = null;
    const { images, labels } = uploaded ?? batchTensors(cfg, batch);
    const at = { count: scalar(step), learningRate: scalar(rate), seed: scalar(dropoutSeed(options.seed ?? 0, state.step)) };
    const out = await run(state.params, state.opt, images, labels, at);
    disposeTree([images, labels, at, state.params, state.opt]);
    const following = await next?.();
    if (following) {
      ahead = { batch: following, tensors: batchTensors(cfg, following) };
      await realize([ahead.tensors.images, ahead.tensors.labels]);
    }
    const [loss, correct] = await readAll(out.metrics);
    return [{ params: out.params, opt: out.opt, step }, { loss, correct, count: batch.count }];
  };
  return withEntries(Object.assign(step, { discardNext }), run);
}

/** Loss (with the same label smoothing as training), correct predictions and each image's predicted class on a batch, no dropout. */
export function evalStep<C extends VitConfigInput>(cfg: VitConfig<C>, options: StepOptions) {
  return modelEvalStep(vitClassifier<C>(), cfg, options);
}

/** evalStep for any model kind (models.ts). */
export function modelEvalStep<Cfg extends ImageModelConfig, P>(model: Classifier<Cfg, P>, cfg: Cfg, options: StepOptions) {
  const run = compiled((params: P, images: BatchImages<Cfg>, labels: Tensor<[number]>) => {
    const { loss, correct, predicted } = batchOutputs(model, cfg, params, images, labels, options.labelSmoothing, false, 0);
    return ravelPytree([loss, correct, predicted])[0];
  }, options, 'evalStep');
  return withEntries(async (params: P, batch: Batch): Promise<StepMetrics & { predicted: Float32Array }> => {
    const { images, labels } = batchTensors(cfg, batch);
    const out = await run(params, images, labels);
    disposeTree([images, labels]);
    const values = await readAll(out);
    return { loss: values[0], correct: values[1], count: batch.count, predicted: values.slice(2) };
  }, run);
}
