// The CIFAR-10 epoch loop: composes the loader, trainStep and evalStep, and keeps the run's files
// (metrics.jsonl, curves.svg, last/best checkpoints) up to date after every epoch. Ctrl-C saves
// the exact position (epoch, step within it, running sums) so --resume continues bit-for-bit.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { disposeTree } from '../dsl/index.js';
import { createLoader, type AugmentKind } from '../data/loader.js';
import type { CifarSplit } from '../data/cifar.js';
import { ProgressBar } from '../cli/progress.js';
import { vit, type VitConfig, type VitParams } from '../vit/index.js';
import { loadModel, loadTrainState, saveModel, saveTrainState, trainStatePath, type TrainingProgress } from '../vit/checkpoint.js';
import { writeFileAtomic } from './atomic.js';
import { readMetrics, appendMetrics, writeMetrics, type MetricsRecord } from './metrics.js';
import { renderCurvesSvg } from './plot.js';
import type { Schedule } from './schedule.js';
import type { Transform } from './optim.js';
import { evalStep, initTrainState, trainStep, type StepMetrics, type TrainState } from './step.js';

export interface RunOptions {
  readonly cfg: VitConfig;
  readonly optimizer: Transform<unknown>;
  readonly schedule: Schedule;
  readonly epochs: number;
  readonly batchSize: number;
  readonly labelSmoothing: number;
  readonly augment: AugmentKind;
  readonly seed: number;
  readonly outDir: string;
  readonly resume: boolean;
  readonly train: CifarSplit;
  readonly test: CifarSplit;
  readonly limitTrain?: number;
  readonly limitTest?: number;
  /** identifies the recipe; --resume refuses a checkpoint written with another */
  readonly recipe: string;
  readonly log: (line: string) => void;
}

export class StopRun extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

interface Partial {
  readonly stepInEpoch: number;
  readonly lossSum: number;
  readonly correct: number;
  readonly seen: number;
  readonly seconds: number;
}

interface Progress extends TrainingProgress {
  readonly partial?: Partial;
}

const files = (dir: string) => ({
  last: path.join(dir, 'last.safetensors'),
  best: path.join(dir, 'best.safetensors'),
  metrics: path.join(dir, 'metrics.jsonl'),
  curves: path.join(dir, 'curves.svg'),
});

const exists = (p: string) => stat(p).then(
  () => true,
  () => false,
);

/** Loss and accuracy of `params` on a split (no augmentation, no dropout). */
export async function evaluate(cfg: VitConfig, params: VitParams, split: CifarSplit, o: { batchSize: number; limit?: number; labelSmoothing: number }): Promise<{ loss: number; accuracy: number; count: number }> {
  const step = evalStep(cfg, { labelSmoothing: o.labelSmoothing });
  const loader = createLoader({ images: split.images, labels: split.labels, batchSize: o.batchSize, shuffle: false, augment: 'none', limit: o.limit });
  let loss = 0;
  let correct = 0;
  let count = 0;
  for await (const batch of loader) {
    const m = await step(params, batch);
    loss += m.loss * m.count;
    correct += m.correct;
    count += m.count;
  }
  return { loss: loss / count, accuracy: correct / count, count };
}

async function start(o: RunOptions): Promise<{ state: TrainState; progress: Progress; records: MetricsRecord[] }> {
  const f = files(o.outDir);
  if (o.resume) {
    if (!(await exists(f.last))) throw new StopRun(`--resume: no checkpoint at ${f.last}`, 2);
    const { params } = await loadModel(f.last, o.cfg);
    const template = o.optimizer.init(params);
    const { opt, progress } = await loadTrainState(f.last, template);
    disposeTree(template);
    const p = progress as Progress;
    if (p.recipe !== o.recipe) throw new StopRun(`--resume: ${f.last} was written by a different recipe (${p.recipe}); pass the same flags`, 2);
    const records = (await readMetrics(f.metrics)).filter((r) => r.epoch <= p.epoch);
    await writeMetrics(f.metrics, records);
    const state = await initTrainState(params, { init: () => opt, update: o.optimizer.update });
    return { state: { ...state, step: p.step }, progress: p, records };
  }
  for (const p of [f.last, f.best, trainStatePath(f.last), f.metrics]) {
    if (await exists(p)) throw new StopRun(`${o.outDir} already holds a run (${path.basename(p)}); use --resume or another --out-dir`, 2);
  }
  await mkdir(o.outDir, { recursive: true });
  const state = await initTrainState(vit.init(o.cfg, { seed: o.seed }), o.optimizer);
  return { state, progress: { epoch: 0, step: 0, bestValAcc: -1, recipe: o.recipe }, records: [] };
}

async function saveLast(o: RunOptions, state: TrainState, progress: Progress): Promise<void> {
  const f = files(o.outDir);
  // the optimizer file first: a model file is only ever paired with state at least as new
  await saveTrainState(f.last, state.opt, progress);
  await saveModel(f.last, o.cfg, state.params, { epoch: String(progress.epoch) });
}

/** Runs (or resumes) training; returns the final test accuracy. */
export async function runTraining(o: RunOptions): Promise<{ bestValAcc: number; lastValAcc: number }> {
  const f = files(o.outDir);
  let { state, progress, records } = await start(o);
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    o.log('\ninterrupt: saving the current position (Ctrl-C again to quit without saving)');
  };
  process.on('SIGINT', onSigint);
  const step = trainStep(o.cfg, o.optimizer, { labelSmoothing: o.labelSmoothing, seed: o.seed });
  try {
    for (let epoch = progress.epoch; epoch < o.epochs; epoch++) {
      const lr = o.schedule(epoch);
      const partial: Partial = progress.partial ?? { stepInEpoch: 0, lossSum: 0, correct: 0, seen: 0, seconds: 0 };
      const loader = createLoader({ images: o.train.images, labels: o.train.labels, batchSize: o.batchSize, shuffle: true, augment: o.augment, seed: o.seed, epoch, limit: o.limitTrain, dropLast: false });
      const bar = new ProgressBar();
      const t0 = performance.now() - partial.seconds * 1000;
      let { stepInEpoch, lossSum, correct, seen } = partial;
      let k = 0;
      for await (const batch of loader) {
        if (k++ < stepInEpoch) continue; // resumed mid-epoch: same shuffle, skip what was done
        let m: StepMetrics;
        [state, m] = await step(state, batch, lr);
        if (!Number.isFinite(m.loss)) {
          const kept = (await exists(f.last)) ? `the last good checkpoint is kept: ${f.last}` : 'no checkpoint had been written yet';
          throw new StopRun(`loss became ${m.loss} at epoch ${epoch + 1}, step ${stepInEpoch + 1}; stopping (${kept})`, 1);
        }
        stepInEpoch++;
        lossSum += m.loss * m.count;
        correct += m.correct;
        seen += m.count;
        bar.update({ step: stepInEpoch, total: loader.batches, loss: lossSum / seen, images: seen - partial.seen });
        if (interrupted) {
          bar.done();
          const seconds = (performance.now() - t0) / 1000;
          await saveLast(o, state, { ...progress, epoch, step: state.step, partial: { stepInEpoch, lossSum, correct, seen, seconds } });
          throw new StopRun(`saved epoch ${epoch + 1} at step ${stepInEpoch}/${loader.batches} to ${f.last}; continue with --resume`, 130);
        }
      }
      bar.done();
      const trainSeconds = (performance.now() - t0) / 1000;
      const val = await evaluate(o.cfg, state.params, o.test, { batchSize: Math.max(o.batchSize, 250), limit: o.limitTest, labelSmoothing: o.labelSmoothing });
      const seconds = (performance.now() - t0) / 1000;
      const record: MetricsRecord = {
        epoch: epoch + 1,
        trainLoss: lossSum / seen,
        trainAcc: correct / seen,
        valLoss: val.loss,
        valAcc: val.accuracy,
        lr,
        timeSec: seconds,
        imgPerSec: (seen - partial.seen) / (trainSeconds - partial.seconds),
      };
      o.log(
        `Epoch: ${epoch + 1}/${o.epochs} Train Loss: ${record.trainLoss.toFixed(4)} Accuracy: ${record.trainAcc.toFixed(4)} Time: ${seconds.toFixed(5)}  | Val Loss: ${val.loss.toFixed(4)} Accuracy: ${val.accuracy.toFixed(4)}`,
      );
      const best = val.accuracy > progress.bestValAcc;
      progress = { epoch: epoch + 1, step: state.step, bestValAcc: Math.max(progress.bestValAcc, val.accuracy), recipe: o.recipe };
      records = [...records, record];
      await appendMetrics(f.metrics, record);
      await writeFileAtomic(f.curves, renderCurvesSvg(records, { title: `shaped-vit CIFAR-10 (${path.basename(o.outDir)})` }));
      await saveLast(o, state, progress);
      if (best) await saveModel(f.best, o.cfg, state.params, { epoch: String(epoch + 1), val_accuracy: String(val.accuracy) });
    }
    return { bestValAcc: progress.bestValAcc, lastValAcc: records.at(-1)?.valAcc ?? NaN };
  } finally {
    process.off('SIGINT', onSigint);
    disposeTree([state.params, state.opt]);
  }
}

