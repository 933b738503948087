// The CIFAR-10 epoch loop: composes the loader, trainStep and evalStep, and keeps the run's files
// (metrics.jsonl, curves.svg, last/best checkpoints) up to date after every epoch. Stopping (the
// caller's AbortSignal, e.g. Ctrl-C) saves the exact position, mid-epoch or mid-validation, so
// --resume continues bit-for-bit. A resume validates everything it reads before it changes any
// file. Progress goes to an injected reporter; this module prints nothing itself.
import path from 'node:path';
import { disposeTree } from '../dsl/index.js';
import { createLoader } from '../data/loader.js';
import type { CifarSplit } from '../data/cifar.js';
import type { DataSource, PartialEpoch, TrainingProgress } from './checkpoint.js';
import type { ConfusionMatrix } from './confusion.js';
import type { MetricsRecord } from './metrics.js';
import type { KindAndConfig } from './model-file.js';
import { recipeModel, recipeOptimizer, recipeSchedule, type Recipe } from './presets.js';
import { dataChange, StopRun, type PreparedRun, type RunFolder } from './run-folder.js';
import { modelEvalStep, modelTrainStep, type StepMetrics } from './step.js';

export { StopRun } from './run-folder.js';

/** What the loop tells its caller while it runs (a progress bar, a log, nothing). */
export interface TrainingReporter {
  /** An epoch's training starts; `done` of its `batches` steps were done before a resume. */
  epochStart(info: { epoch: number; epochs: number; batches: number; done: number }): void;
  /** One training step finished: `images` counts this session's images of the epoch. */
  step(info: { step: number; total: number; loss: number; images: number }): void;
  /** Validation starts (it can take a while: say so). */
  evaluating(info: { images: number }): void;
  /** Training and validation of the epoch are over; the summary line follows. */
  epochEnd(): void;
}

export const silentReporter: TrainingReporter = { epochStart() {}, step() {}, evaluating() {}, epochEnd() {} };

export interface RunOptions {
  readonly recipe: Recipe;
  /** the run folder, held (see run-folder.ts); the run was prepared from it */
  readonly folder: RunFolder;
  readonly train: CifarSplit;
  readonly test: CifarSplit;
  /** One line per epoch and per event (resume, save). */
  readonly log: (line: string) => void;
  readonly reporter?: TrainingReporter;
  /** Aborting saves the current position and ends the run with StopRun (exit code 130, or the reason's `exitCode`). */
  readonly signal?: AbortSignal;
  /** the training data's folder and checksums: recorded, and a resume on other data is refused */
  readonly data?: DataSource;
  /** resume on data that differs from the recorded one (logged) */
  readonly allowDataChange?: boolean;
}

export interface EvaluateOptions {
  batchSize: number;
  limit?: number;
  labelSmoothing: number;
  stop?: () => boolean;
  confusion?: ConfusionMatrix;
}
export interface Evaluation {
  loss: number;
  accuracy: number;
  count: number;
}

/**
 * Loss and accuracy of `params` on a split (no augmentation, no dropout); null when `stop` says
 * so between batches (so never null without a `stop`). `labelSmoothing` 0 gives plain cross-entropy.
 */
export async function evaluate(model: KindAndConfig, params: unknown, split: CifarSplit, o: EvaluateOptions & { stop?: undefined }): Promise<Evaluation>;
export async function evaluate(model: KindAndConfig, params: unknown, split: CifarSplit, o: EvaluateOptions): Promise<Evaluation | null>;
export async function evaluate({ kind, cfg }: KindAndConfig, params: unknown, split: CifarSplit, o: EvaluateOptions): Promise<Evaluation | null> {
  const step = modelEvalStep(kind, cfg, { labelSmoothing: o.labelSmoothing });
  const loader = createLoader({ images: split.images, labels: split.labels, batchSize: o.batchSize, shuffle: false, augment: 'none', limit: o.limit });
  let loss = 0;
  let correct = 0;
  let count = 0;
  for await (const batch of loader) {
    if (o.stop?.()) return null;
    const m = await step(params, batch);
    loss += m.loss * m.count;
    correct += m.correct;
    count += m.count;
    o.confusion?.add(batch.labels, m.predicted);
  }
  return { loss: loss / count, accuracy: correct / count, count };
}

/** Runs (or resumes) training; returns the best and last validation accuracy. */
export async function runTraining(o: RunOptions, run: PreparedRun): Promise<{ bestValAcc: number; lastValAcc: number }> {
  const folder = o.folder;
  const f = folder.files;
  const reporter = o.reporter ?? silentReporter;
  const model = recipeModel(o.recipe);
  const optimizer = recipeOptimizer(o.recipe);
  const schedule = recipeSchedule(o.recipe);
  const recipeText = JSON.stringify(o.recipe);
  const { batchSize, epochs } = o.recipe;
  let { state, progress, records } = run;
  try {
    const trainRecords = o.recipe.limitTrain ?? o.train.count;
    const batchesPerEpoch = Math.ceil(trainRecords / batchSize);
    const p = progress.partial;
    if (p && (p.stepInEpoch > batchesPerEpoch || p.seen > trainRecords)) {
      throw new StopRun(`--resume: ${f.state} stopped at step ${p.stepInEpoch} of epoch ${progress.epoch + 1}, which has ${batchesPerEpoch} steps of this data`, 2);
    }
    if (o.data) {
      const changed = dataChange(progress.data, o.data);
      if (changed && !o.allowDataChange) throw new StopRun(`--resume: the data changed since the run started: ${changed}; pass --allow-data-change to continue on this data`, 2);
      if (changed) o.log(`--allow-data-change: continuing on changed data: ${changed}`);
      progress = { ...progress, data: o.data };
    }
    // everything is validated: only now may a file change
    await folder.begin(run);
    if (run.resumedFrom !== null) {
      const where = p ? `epoch ${progress.epoch + 1} at step ${p.stepInEpoch}/${batchesPerEpoch}` : `the start of epoch ${progress.epoch + 1}`;
      o.log(`resumed from ${run.resumedFrom}: ${progress.epoch} epochs done, optimizer step ${progress.step}; continuing at ${where}`);
    }
  } catch (e) {
    disposeTree([state.params, state.opt]);
    throw e;
  }
  const stopped = () => o.signal?.aborted === true;
  // the abort reason may name the signal and its exit code: { signal: 'SIGTERM', exitCode: 143 }
  const why = () => o.signal?.reason as { signal?: string; exitCode?: number } | undefined;
  const reason = () => {
    const signal = why()?.signal;
    return typeof signal === 'string' ? ` (${signal})` : '';
  };
  const exitCode = () => why()?.exitCode ?? 130;
  const step = modelTrainStep(model.kind, model.cfg, optimizer, { labelSmoothing: o.recipe.labelSmoothing, seed: o.recipe.seed });
  try {
    for (let epoch = progress.epoch; epoch < epochs; epoch++) {
      const lr = schedule(epoch);
      const partial: PartialEpoch = progress.partial ?? { stepInEpoch: 0, lossSum: 0, correct: 0, seen: 0, seconds: 0 };
      const loader = createLoader({ images: o.train.images, labels: o.train.labels, batchSize, shuffle: true, augment: o.recipe.augment, seed: o.recipe.seed, epoch, limit: o.recipe.limitTrain, dropLast: false, skip: partial.stepInEpoch });
      reporter.epochStart({ epoch: epoch + 1, epochs, batches: loader.batches, done: partial.stepInEpoch });
      const t0 = performance.now() - partial.seconds * 1000;
      let { stepInEpoch, lossSum, correct, seen } = partial;
      const stopHere = async (what: string): Promise<never> => {
        reporter.epochEnd();
        const seconds = (performance.now() - t0) / 1000;
        await folder.saveState(model, state, { ...progress, step: state.step, partial: { stepInEpoch, lossSum, correct, seen, seconds } });
        throw new StopRun(`stopped${reason()}: saved epoch ${epoch + 1} ${what} to ${f.last}; continue with --resume`, exitCode());
      };
      if (stopped()) await stopHere(`at step ${stepInEpoch}/${loader.batches}`);
      // each step makes and uploads the following batch while it runs (step.ts `next`)
      const batches = loader[Symbol.asyncIterator]();
      for (let current = await batches.next(); !current.done; ) {
        const batch = current.value;
        const following: { result?: Awaited<ReturnType<typeof batches.next>> } = {};
        const next = async () => {
          const r = (following.result = await batches.next());
          return r.done ? undefined : r.value;
        };
        let m: StepMetrics;
        [state, m] = await step(state, batch, lr, next);
        current = following.result ?? (await batches.next());
        if (!Number.isFinite(m.loss)) {
          reporter.epochEnd();
          const kept = progress.epoch > 0 || progress.partial ? `${f.last} (saved after epoch ${progress.epoch}${progress.partial ? `, step ${progress.partial.stepInEpoch} of the next` : ''}) is kept` : 'no checkpoint had been written yet';
          throw new StopRun(`loss became ${m.loss} at epoch ${epoch + 1}, step ${stepInEpoch + 1}; stopping (${kept})`, 1);
        }
        stepInEpoch++;
        lossSum += m.loss * m.count;
        correct += m.correct;
        seen += m.count;
        reporter.step({ step: stepInEpoch, total: loader.batches, loss: lossSum / seen, images: seen - partial.seen });
        if (stopped()) await stopHere(`at step ${stepInEpoch}/${loader.batches}`);
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      reporter.evaluating({ images: Math.min(o.recipe.limitTest ?? o.test.count, o.test.count) });
      const evaluated = await evaluate(model, state.params, o.test, { batchSize: Math.max(batchSize, 250), limit: o.recipe.limitTest, labelSmoothing: o.recipe.labelSmoothing, stop: stopped });
      const val = evaluated ?? (await stopHere('after its training steps, before validation'));
      reporter.epochEnd();
      const seconds = (performance.now() - t0) / 1000;
      const record: MetricsRecord = {
        epoch: epoch + 1,
        trainLoss: lossSum / seen,
        trainAcc: correct / seen,
        valLoss: val.loss,
        valAcc: val.accuracy,
        lr,
        timeSec: seconds,
        imgPerSec: seen > partial.seen ? (seen - partial.seen) / (trainSeconds - partial.seconds) : 0,
      };
      o.log(
        `Epoch: ${epoch + 1}/${epochs} Train Loss: ${record.trainLoss.toFixed(4)} Accuracy: ${record.trainAcc.toFixed(4)} Time: ${seconds.toFixed(5)}  | Val Loss: ${record.valLoss.toFixed(4)} Accuracy: ${record.valAcc.toFixed(4)}`,
      );
      const best = record.valAcc > progress.bestValAcc;
      progress = { run: progress.run, epoch: epoch + 1, step: state.step, bestValAcc: Math.max(progress.bestValAcc, record.valAcc), recipe: recipeText, data: progress.data };
      const withEpoch: [...MetricsRecord[], MetricsRecord] = [...records, record];
      records = withEpoch;
      await folder.saveEpoch(model, state, progress, withEpoch, best, `shaped-vit CIFAR-10 (${path.basename(folder.dir)})`);
      if (stopped() && epoch + 1 < epochs) throw new StopRun(`stopped${reason()} after epoch ${epoch + 1}; saved to ${f.last}; continue with --resume`, exitCode());
    }
    return { bestValAcc: progress.bestValAcc, lastValAcc: records.at(-1)?.valAcc ?? NaN };
  } finally {
    step.discardNext();
    disposeTree([state.params, state.opt]);
  }
}
