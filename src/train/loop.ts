// The CIFAR-10 epoch loop: composes the loader, trainStep and evalStep, and keeps the run's files
// (metrics.jsonl, curves.svg, last/best checkpoints) up to date after every epoch. Stopping (the
// caller's AbortSignal, e.g. Ctrl-C) saves the exact position, mid-epoch or mid-validation, so
// --resume continues bit-for-bit. A resume validates everything it reads before it changes any
// file. Progress goes to an injected reporter; this module prints nothing itself.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { disposeTree } from '../dsl/index.js';
import { createLoader } from '../data/loader.js';
import type { CifarSplit } from '../data/cifar.js';
import { describeFsError } from '../io/read-bounded.js';
import { readSafetensorsHeader } from '../io/safetensors-file.js';
import { makeDir, writeFileAtomic } from '../io/atomic.js';
import { vit, type VitConfig, type VitParams } from '../vit/index.js';
import { describeConfig } from '../vit/checkpoint.js';
import { saveModel } from '../vit/checkpoint-file.js';
import { loadTrainState, pairMetadata, pairMismatch, saveTrainState, trainStatePath, type PartialEpoch, type TrainingProgress } from './checkpoint.js';
import { readMetrics, appendMetrics, writeMetrics, type MetricsRecord } from './metrics.js';
import { renderCurvesSvg } from './plot.js';
import { recipeConfig, recipeOptimizer, recipeSchedule, type Recipe } from './presets.js';
import { evalStep, initTrainState, trainStep, type StepMetrics, type TrainState } from './step.js';

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

/** What a run is: enough to find, validate and load it before any data is read. */
export interface RunSpec {
  readonly recipe: Recipe;
  readonly outDir: string;
  readonly resume: boolean;
}

export interface RunOptions extends RunSpec {
  readonly train: CifarSplit;
  readonly test: CifarSplit;
  /** One line per epoch and per event (resume, save). */
  readonly log: (line: string) => void;
  readonly reporter?: TrainingReporter;
  /** Aborting saves the current position and ends the run with StopRun (exit code 130). */
  readonly signal?: AbortSignal;
}

/** Ends a run with a one-line message and an exit code (the CLI prints it). */
export class StopRun extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
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

/** The files of a run in `outDir` that a new run would overwrite. */
export async function existingRunFiles(outDir: string): Promise<string[]> {
  const f = files(outDir);
  const found: string[] = [];
  for (const p of [f.last, f.best, trainStatePath(f.last), f.metrics]) if (await exists(p)) found.push(path.basename(p));
  return found;
}

/** The model file of a run's last checkpoint (its training state sits beside it). */
export const lastCheckpoint = (outDir: string) => files(outDir).last;

/**
 * Loss and accuracy of `params` on a split (no augmentation, no dropout); null when `stop` says
 * so between batches. `labelSmoothing` 0 gives plain cross-entropy.
 */
export async function evaluate(
  cfg: VitConfig,
  params: VitParams,
  split: CifarSplit,
  o: { batchSize: number; limit?: number; labelSmoothing: number; stop?: () => boolean },
): Promise<{ loss: number; accuracy: number; count: number } | null> {
  const step = evalStep(cfg, { labelSmoothing: o.labelSmoothing });
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
  }
  return { loss: loss / count, accuracy: correct / count, count };
}

/** A run found, validated and loaded (state on the device), before any file is changed. */
export interface PreparedRun {
  readonly state: TrainState;
  readonly progress: TrainingProgress;
  /** metrics.jsonl's records up to the checkpoint, and whether the file holds more (rewritten on start) */
  readonly records: MetricsRecord[];
  readonly metricsAhead: boolean;
  /** which files the run resumes from, in words (null for a new run) */
  readonly resumedFrom: string | null;
}

/**
 * Finds and checks the run in `outDir` (a new one: no run there; --resume: a consistent, valid
 * checkpoint for this recipe) and loads its state. Reads only; refusals are StopRun or one-line
 * errors naming the file.
 */
export async function prepareRun(o: RunSpec): Promise<PreparedRun> {
  const cfg = recipeConfig(o.recipe);
  const recipeText = JSON.stringify(o.recipe);
  if (!o.resume) {
    const found = await existingRunFiles(o.outDir);
    if (found.length) throw new StopRun(`${o.outDir} already holds a run (${found.join(', ')}); use --resume or another --out-dir`, 2);
    const state = await initTrainState(vit.init(cfg, { seed: o.recipe.seed }), recipeOptimizer(o.recipe));
    const progress = { run: globalThis.crypto.randomUUID(), epoch: 0, step: 0, bestValAcc: -1, recipe: recipeText };
    return { state, progress, records: [], metricsAhead: false, resumedFrom: null };
  }
  const f = files(o.outDir);
  const statePath = trainStatePath(f.last);
  if (!(await exists(statePath))) throw new StopRun(`--resume: no training state at ${statePath}`, 2);
  const loaded = await loadTrainState(f.last, recipeOptimizer(o.recipe));
  try {
    const p = loaded.progress;
    if (p.recipe !== recipeText) throw new StopRun(`--resume: ${statePath} was written by a different recipe; pass the same flags (or none)`, 2);
    if (describeConfig(loaded.cfg) !== describeConfig(cfg)) throw new StopRun(`--resume: ${statePath} holds a ${describeConfig(loaded.cfg)} model, the recipe asks for ${describeConfig(cfg)}`, 2);
    if (p.epoch > o.recipe.epochs || (p.partial && p.epoch >= o.recipe.epochs)) {
      throw new StopRun(`--resume: ${statePath} says ${p.epoch} epochs${p.partial ? ' and part of another' : ''} are done, but the run has ${o.recipe.epochs}`, 2);
    }
    if (p.epoch === o.recipe.epochs) throw new StopRun(`the run in ${o.outDir} already finished its ${p.epoch} epochs (${f.last}); nothing to resume`, 0);
    // the model file must be this state's partner; if a save was cut short between the two, the
    // training state (which holds the weights too) is the consistent one
    let resumedFrom: string;
    try {
      const why = pairMismatch((await readSafetensorsHeader(f.last)).metadata, p);
      resumedFrom = why === null ? `${f.last} + ${path.basename(statePath)}` : `${statePath} (${path.basename(f.last)} ${why}: a save was cut short; it is rewritten at the next save)`;
    } catch (e) {
      resumedFrom = `${statePath} (${path.basename(f.last)} is unreadable: ${(e as Error).message.slice(0, 120)}; it is rewritten at the next save)`;
    }
    const all = await readMetrics(f.metrics);
    const records = all.filter((r) => r.epoch <= p.epoch);
    const state = await initTrainState(loaded.params, { ...recipeOptimizer(o.recipe), init: () => loaded.opt });
    return { state: { ...state, step: p.step }, progress: p, records, metricsAhead: records.length !== all.length, resumedFrom };
  } catch (e) {
    disposeTree([loaded.params, loaded.opt]);
    throw e;
  }
}

/** Runs a write; a failure (disk full, read-only) ends the run naming the file, earlier files intact. */
async function saving(file: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (e) {
    if (e instanceof StopRun) throw e;
    const why = (e as NodeJS.ErrnoException).code ? describeFsError(e) : (e as Error).message;
    throw new StopRun(`cannot save ${file}: ${why}; the files saved before are kept`, 1);
  }
}

async function saveLast(o: RunOptions, cfg: VitConfig, state: TrainState, progress: TrainingProgress): Promise<void> {
  const f = files(o.outDir);
  // the training state first: it holds the weights too, so it is a complete resume point even if
  // the model file's write is cut short
  await saving(trainStatePath(f.last), () => saveTrainState(f.last, cfg, state.params, state.opt, progress));
  await saving(f.last, () => saveModel(f.last, cfg, state.params, pairMetadata(progress)));
}

/** Runs (or resumes) training; returns the best and last validation accuracy. */
export async function runTraining(o: RunOptions, prepared?: PreparedRun): Promise<{ bestValAcc: number; lastValAcc: number }> {
  const f = files(o.outDir);
  const reporter = o.reporter ?? silentReporter;
  const cfg = recipeConfig(o.recipe);
  const optimizer = recipeOptimizer(o.recipe);
  const schedule = recipeSchedule(o.recipe);
  const recipeText = JSON.stringify(o.recipe);
  const { batchSize, epochs } = o.recipe;
  const run = prepared ?? (await prepareRun(o));
  let { state, progress, records } = run;
  try {
    const trainRecords = o.recipe.limitTrain ?? o.train.count;
    const batchesPerEpoch = Math.ceil(trainRecords / batchSize);
    const p = progress.partial;
    if (p && (p.stepInEpoch > batchesPerEpoch || p.seen > trainRecords)) {
      throw new StopRun(`--resume: ${trainStatePath(f.last)} stopped at step ${p.stepInEpoch} of epoch ${progress.epoch + 1}, which has ${batchesPerEpoch} steps of this data`, 2);
    }
    // everything is validated: only now may a file change
    if (run.resumedFrom === null) {
      try {
        await makeDir(o.outDir);
      } catch (e) {
        throw new StopRun(`cannot create --out-dir ${o.outDir}: ${describeFsError(e)}`, 2);
      }
    } else {
      if (run.metricsAhead) await saving(f.metrics, () => writeMetrics(f.metrics, records));
      const where = p ? `epoch ${progress.epoch + 1} at step ${p.stepInEpoch}/${batchesPerEpoch}` : `the start of epoch ${progress.epoch + 1}`;
      o.log(`resumed from ${run.resumedFrom}: ${progress.epoch} epochs done, optimizer step ${progress.step}; continuing at ${where}`);
    }
  } catch (e) {
    disposeTree([state.params, state.opt]);
    throw e;
  }
  const stopped = () => o.signal?.aborted === true;
  const step = trainStep(cfg, optimizer, { labelSmoothing: o.recipe.labelSmoothing, seed: o.recipe.seed });
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
        await saveLast(o, cfg, state, { ...progress, step: state.step, partial: { stepInEpoch, lossSum, correct, seen, seconds } });
        throw new StopRun(`stopped: saved epoch ${epoch + 1} ${what} to ${f.last}; continue with --resume`, 130);
      };
      if (stopped()) await stopHere(`at step ${stepInEpoch}/${loader.batches}`);
      for await (const batch of loader) {
        let m: StepMetrics;
        [state, m] = await step(state, batch, lr);
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
      const val = await evaluate(cfg, state.params, o.test, { batchSize: Math.max(batchSize, 250), limit: o.recipe.limitTest, labelSmoothing: o.recipe.labelSmoothing, stop: stopped });
      if (val === null) await stopHere('after its training steps, before validation');
      reporter.epochEnd();
      const seconds = (performance.now() - t0) / 1000;
      const record: MetricsRecord = {
        epoch: epoch + 1,
        trainLoss: lossSum / seen,
        trainAcc: correct / seen,
        valLoss: val!.loss,
        valAcc: val!.accuracy,
        lr,
        timeSec: seconds,
        imgPerSec: seen > partial.seen ? (seen - partial.seen) / (trainSeconds - partial.seconds) : 0,
      };
      o.log(
        `Epoch: ${epoch + 1}/${epochs} Train Loss: ${record.trainLoss.toFixed(4)} Accuracy: ${record.trainAcc.toFixed(4)} Time: ${seconds.toFixed(5)}  | Val Loss: ${record.valLoss.toFixed(4)} Accuracy: ${record.valAcc.toFixed(4)}`,
      );
      const best = record.valAcc > progress.bestValAcc;
      progress = { run: progress.run, epoch: epoch + 1, step: state.step, bestValAcc: Math.max(progress.bestValAcc, record.valAcc), recipe: recipeText };
      records = [...records, record];
      await saving(f.metrics, () => appendMetrics(f.metrics, record));
      await saving(f.curves, () => writeFileAtomic(f.curves, renderCurvesSvg(records, { title: `shaped-vit CIFAR-10 (${path.basename(o.outDir)})` })));
      await saveLast(o, cfg, state, progress);
      if (best) await saving(f.best, () => saveModel(f.best, cfg, state.params, { ...pairMetadata(progress), val_accuracy: String(record.valAcc) }));
      if (stopped() && epoch + 1 < epochs) throw new StopRun(`stopped after epoch ${epoch + 1}; saved to ${f.last}; continue with --resume`, 130);
    }
    return { bestValAcc: progress.bestValAcc, lastValAcc: records.at(-1)?.valAcc ?? NaN };
  } finally {
    disposeTree([state.params, state.opt]);
  }
}
