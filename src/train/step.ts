// One training step and one evaluation step as pure functions of (state, batch): each builds the
// whole computation lazily (forward, backward, optimizer) and evaluates it once.
import { argmax, constant, crossEntropy, disposeTree, equal, labelTensor, mean, realize, sum, tensorsIn, valueAndGradWithAux, type Tensor } from '../dsl/index.js';
import { vit, type VitConfig, type VitParams } from '../vit/index.js';
import { applyUpdates, type Transform } from './optim.js';

export interface TrainState {
  readonly params: VitParams;
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
}

function batchTensors(cfg: VitConfig, batch: Batch) {
  const images = constant(batch.images, [batch.count, cfg.channels, cfg.imageSize, cfg.imageSize]);
  const labels = labelTensor(batch.labels, cfg.classes, batch.count);
  labels.transient = true;
  return { images, labels };
}

function lossAndCorrect(cfg: VitConfig, params: VitParams, images: Tensor<[number, number, number, number]>, labels: Tensor<[number]>, smoothing: number, train: boolean, seed: number) {
  const logits = vit.apply(cfg, params, images, { train, seed });
  const loss = mean(crossEntropy(logits, labels, smoothing), 0);
  const correct = sum(equal(argmax(logits), labels));
  return [loss, correct] as const;
}

async function read1(t: Tensor): Promise<number> {
  const [v] = await t.data();
  t.dispose();
  return v;
}

/** Initial training state: realized parameters and optimizer state. */
export async function initTrainState(params: VitParams, optimizer: Transform<unknown>): Promise<TrainState> {
  const opt = optimizer.init(params);
  await realize([...tensorsIn(params), ...tensorsIn(opt)]);
  return { params, opt, step: 0 };
}

/**
 * (state, batch) -> (state', metrics) for learning rate `lr`. The previous state's device memory
 * is released once the new one exists.
 */
export function trainStep(cfg: VitConfig, optimizer: Transform<unknown>, options: StepOptions) {
  return async (state: TrainState, batch: Batch, lr: number): Promise<[TrainState, StepMetrics]> => {
    const { images, labels } = batchTensors(cfg, batch);
    const seed = (options.seed ?? 0) * 1_000_003 + state.step * 7919;
    const [loss, correct, grads] = valueAndGradWithAux((p: VitParams) => lossAndCorrect(cfg, p, images, labels, options.labelSmoothing, true, seed))(state.params);
    const step = state.step + 1;
    const [updates, opt] = optimizer.update(grads, state.opt, state.params, { count: step, learningRate: lr });
    const params = applyUpdates(state.params, updates);
    await realize([loss, correct, ...tensorsIn(params), ...tensorsIn(opt)]);
    disposeTree([state.params, state.opt]);
    return [{ params, opt, step }, { loss: await read1(loss), correct: await read1(correct), count: batch.count }];
  };
}

/** Loss (with the same label smoothing as training) and correct predictions on a batch, no dropout. */
export function evalStep(cfg: VitConfig, options: StepOptions) {
  return async (params: VitParams, batch: Batch): Promise<StepMetrics> => {
    const { images, labels } = batchTensors(cfg, batch);
    const [loss, correct] = lossAndCorrect(cfg, params, images, labels, options.labelSmoothing, false, 0);
    await realize([loss, correct]);
    return { loss: await read1(loss), correct: await read1(correct), count: batch.count };
  };
}
