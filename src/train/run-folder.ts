// The run folder (--out-dir), owned by this module alone: who holds it (the lock), what a save
// writes in which order, what a start finds there and decides, and what it cleans up. The
// checkpoint and metrics formats live below it (checkpoint.ts, metrics.ts, io/).
//
// Files: .lock (the owner: pid, host, start time), metrics.jsonl, curves.svg, best.safetensors,
// last.train.safetensors (the resume point: weights, optimizer state, progress), last.safetensors.
//
// Save order at the end of epoch E (every write but the metrics line is temp + fsync + rename):
//   1. metrics.jsonl += line E   appended and fsynced; a kill can tear it
//   2. curves.svg                drawn from the lines so far
//   3. best.safetensors          only when E is the best so far: renamed before anything claims it
//   4. last.train.safetensors    progress E, claiming the best of 3: from here on E is done
//   5. last.safetensors          the model alone, paired with 4 by run id, epoch and step
// A stop inside an epoch (a signal) writes 4 then 5 with the epoch's partial progress.
//
// What a start finds, whichever step a kill cut short:
//   no 4          no run: the files of 1-3 are leftovers of a run killed before its first save;
//                 a fresh run removes them (saying so), --resume is refused
//   4 at epoch E  the run resumes after E: metrics lines after E and a torn last line are dropped
//                 (with a warning), a best.safetensors from after E is removed (E+1 is redone),
//                 a 5 that is not 4's partner is rewritten at the next save
//   .*.tmp        leftovers of killed writes, removed once the lock is held
import { closeSync, openSync, readFileSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { disposeTree } from '../dsl/index.js';
import { appendLine, isAtomicTemp, makeDir, writeFileAtomic } from '../io/atomic.js';
import { processAlive } from '../io/pid.js';
import { describeFsError } from '../io/read-bounded.js';
import { readSafetensorsHeader } from '../io/safetensors-file.js';
import { isJsonObject } from '../io/validation.js';
import { encodeModelFile, type KindAndConfig } from './model-file.js';
import { encodeTrainState, loadTrainState, openTrainState, pairMetadata, pairMismatch, trainStatePath, type DataSource, type TrainingProgress, type TrainStateFile } from './checkpoint.js';
import { formatMetricsLine, readMetrics, writeMetrics, type MetricsRecord } from './metrics.js';
import { renderCurvesSvg } from './plot.js';
import { parseRecipe, recipeModel, recipeOptimizer, type Recipe } from './presets.js';
import { initTrainState, type TrainState } from './step.js';

/** Ends a run with a one-line message and an exit code (the CLI prints it). */
export class StopRun extends Error {
  override name = 'StopRun';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const runFiles = (dir: string) => ({
  lock: path.join(dir, '.lock'),
  metrics: path.join(dir, 'metrics.jsonl'),
  curves: path.join(dir, 'curves.svg'),
  best: path.join(dir, 'best.safetensors'),
  state: trainStatePath(path.join(dir, 'last.safetensors')),
  last: path.join(dir, 'last.safetensors'),
});

const exists = (p: string) => stat(p).then(
  () => true,
  () => false,
);

/** What a folder holds: nothing, leftovers of a run killed before its first save, or a run. */
export type Found =
  | { readonly kind: 'none' }
  | { readonly kind: 'leftovers'; readonly files: string[] }
  | { readonly kind: 'run'; readonly state: TrainStateFile };

/** A run found, validated and loaded (state on the device), before any file is changed. */
export interface PreparedRun {
  readonly state: TrainState<unknown>;
  readonly progress: TrainingProgress;
  /** metrics.jsonl's records up to the checkpoint, and whether the file must be rewritten to them */
  readonly records: MetricsRecord[];
  readonly rewriteMetrics: boolean;
  /** which files the run resumes from, in words (null for a new run) */
  readonly resumedFrom: string | null;
}

export interface RunFolderOptions {
  /** warnings and events, one line each */
  readonly log: (line: string) => void;
  /** Called at every boundary between the steps of a write, with its name; crash tests kill the process here. */
  readonly boundary?: (name: string) => void;
}

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

function readLock(file: string): LockInfo | null {
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8').slice(0, 1000));
    if (!isJsonObject(v)) return null;
    const { pid, host, started } = v;
    return typeof pid === 'number' && Number.isSafeInteger(pid) && typeof host === 'string' && typeof started === 'string' ? { pid, host, started } : null;
  } catch {
    return null;
  }
}

/** The run folder held by this process (see the file comment). */
export class RunFolder {
  readonly files: ReturnType<typeof runFiles>;
  private held = true;
  private readonly releaseOnExit = () => this.release();
  /** what found() found: looked at once, as the lock keeps the folder as it is (a run's state stays open for prepare) */
  private seen: Promise<Found> | null = null;

  private constructor(
    readonly dir: string,
    private readonly created: boolean,
    private readonly o: RunFolderOptions,
  ) {
    this.files = runFiles(dir);
    process.on('exit', this.releaseOnExit);
  }

  /**
   * Creates the folder if needed and takes its lock: a folder held by a live process is refused
   * naming it; a lock left by a killed process on this host is taken over with a line. Any
   * leftover temp file is then removed. Refusals are StopRun (exit 2), before any data is read.
   */
  static async open(dir: string, o: RunFolderOptions & { readonly resume: boolean }): Promise<RunFolder> {
    const f = runFiles(dir);
    if (o.resume && !(await exists(f.state))) throw new StopRun(`--resume: no run to resume in ${dir} (${path.basename(f.state)} is missing)`, 2);
    const created = !(await exists(dir));
    try {
      await makeDir(dir);
    } catch (e) {
      throw new StopRun(`cannot create --out-dir ${dir}: ${describeFsError(e)}`, 2);
    }
    const mine = JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() } satisfies LockInfo);
    let staleOwner: number | null = null;
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(f.lock, 'wx');
        writeSync(fd, mine);
        closeSync(fd);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          if (created) await rmdir(dir).catch(() => undefined);
          throw new StopRun(`--out-dir ${dir} is not writable: ${describeFsError(e)}`, 2);
        }
      }
      const held = readLock(f.lock);
      if (!held) throw new StopRun(`${f.lock} is not a lock this version writes; remove it if no run uses ${dir}`, 2);
      if (held.host !== hostname() || processAlive(held.pid) || attempt > 2) {
        throw new StopRun(`${dir} is in use by process ${held.pid} on ${held.host} (since ${held.started}); wait for it to end or use another --out-dir`, 2);
      }
      // stale: one process wins the rename aside; it then takes the lock like anyone else
      const aside = `${f.lock}.${process.pid}.stale`;
      try {
        await rename(f.lock, aside);
        await unlink(aside);
        staleOwner = held.pid;
      } catch {
        // another process moved it first; try again
      }
    }
    const folder = new RunFolder(dir, created, o);
    o.boundary?.('lock');
    for (const name of await readdir(dir)) {
      if (isAtomicTemp(name) || /^\.lock\.\d+\.stale$/.test(name)) await rm(path.join(dir, name), { force: true });
    }
    // said once the lock is held and the leftovers are gone: a signal on seeing it finds them cleaned
    if (staleOwner !== null) o.log(`${dir}: taking over the lock of process ${staleOwner}, which no longer runs (killed?)`);
    return folder;
  }

  /** Gives the folder up: removes the lock (and the folder if this process made it and it stayed empty). Synchronous, for exit paths. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    process.off('exit', this.releaseOnExit);
    void this.seen?.then((found) => (found.kind === 'run' ? found.state.reader.close() : undefined)).catch(() => undefined);
    try {
      if (readLock(this.files.lock)?.pid === process.pid) unlinkSync(this.files.lock);
      if (this.created) rmdirSync(this.dir);
    } catch {
      // not empty, or already gone
    }
  }

  /** The files of a run that a new run would overwrite, as names. */
  async runFileNames(): Promise<string[]> {
    const f = this.files;
    const names: string[] = [];
    for (const p of [f.last, f.best, f.state, f.metrics]) if (await exists(p)) names.push(path.basename(p));
    return names;
  }

  /** What the folder holds, reading a run's state header only, and that once; the state stays open for prepare(). */
  found(): Promise<Found> {
    this.seen ??= this.look();
    return this.seen;
  }

  private async look(): Promise<Found> {
    const f = this.files;
    if (await exists(f.state)) return { kind: 'run', state: await openTrainState(f.last) };
    const files: string[] = [];
    for (const p of [f.metrics, f.curves, f.best, f.last]) if (await exists(p)) files.push(path.basename(p));
    return files.length ? { kind: 'leftovers', files } : { kind: 'none' };
  }

  /**
   * The run to train: a new one (the folder holds no run), or the stored one for --resume
   * (consistent, valid, this recipe), loaded. Reads only; refusals are StopRun naming the file.
   */
  async prepare(recipe: Recipe, resume: boolean): Promise<PreparedRun> {
    const { kind, cfg } = recipeModel(recipe);
    const recipeText = JSON.stringify(recipe);
    const f = this.files;
    const found = await this.found();
    if (!resume) {
      if (found.kind === 'run') throw new StopRun(`${this.dir} already holds a run (${path.basename(f.state)}); use --resume or another --out-dir`, 2);
      const state = await initTrainState<unknown>(kind.init(cfg, { seed: recipe.seed }), recipeOptimizer(recipe));
      const progress = { run: globalThis.crypto.randomUUID(), epoch: 0, step: 0, bestValAcc: -1, recipe: recipeText };
      return { state, progress, records: [], rewriteMetrics: false, resumedFrom: null };
    }
    if (found.kind !== 'run') throw new StopRun(nothingToResume(this.dir, found), 2);
    // the state found (its header read once, by found()) is read and closed here
    this.seen = null;
    const loaded = await loadTrainState(found.state, kind, recipeOptimizer(recipe));
    try {
      const p = loaded.progress;
      if (JSON.stringify(parseRecipe(p.recipe)) !== recipeText) throw new StopRun(`--resume: ${f.state} was written by a different recipe; pass the same flags (or none)`, 2);
      if (kind.describe(loaded.cfg) !== kind.describe(cfg)) throw new StopRun(`--resume: ${f.state} holds a ${kind.describe(loaded.cfg)} model, the recipe asks for ${kind.describe(cfg)}`, 2);
      if (p.epoch > recipe.epochs || (p.partial && p.epoch >= recipe.epochs)) {
        throw new StopRun(`--resume: ${f.state} says ${p.epoch} epochs${p.partial ? ' and part of another' : ''} are done, but the run has ${recipe.epochs}`, 2);
      }
      if (p.epoch === recipe.epochs) {
        // a save cut short after the state of the last epoch: its model file is written now
        const why = await readSafetensorsHeader(f.last).then((h) => pairMismatch(h.metadata, p), () => 'is unreadable');
        if (why !== null) {
          const bytes = await encodeModelFile({ kind, cfg: loaded.cfg }, f.last, loaded.params, pairMetadata(p));
          await this.saving(f.last, () => writeFileAtomic(f.last, bytes, this.hooks('model')));
          this.o.log(`${f.last} ${why}: the last save was cut short; it is written again from ${path.basename(f.state)}`);
        }
        const best = p.bestValAcc >= 0 && (await exists(f.best)) ? `, best val accuracy ${p.bestValAcc.toFixed(4)} in ${f.best}` : '';
        throw new StopRun(`the run in ${this.dir} already finished its ${p.epoch} epochs (${f.last}${best}); nothing to resume`, 0);
      }
      // the model file must be this state's partner; if a save was cut short between the two, the
      // training state (which holds the weights too) is the consistent one
      let resumedFrom: string;
      try {
        const why = pairMismatch((await readSafetensorsHeader(f.last)).metadata, p);
        resumedFrom = why === null ? `${f.last} + ${path.basename(f.state)}` : `${f.state} (${path.basename(f.last)} ${why}: a save was cut short; it is rewritten at the next save)`;
      } catch (e) {
        resumedFrom = `${f.state} (${path.basename(f.last)} is unreadable: ${(e as Error).message.slice(0, 120)}; it is rewritten at the next save)`;
      }
      let torn = 0;
      const all = await readMetrics(f.metrics, { onTornLine: (line) => (torn = line) });
      if (torn) this.o.log(`warning: ${f.metrics}:${torn} is a torn line (the run was killed while writing it); it is dropped`);
      const records = all.filter((r) => r.epoch <= p.epoch);
      const state = await initTrainState(loaded.params, { ...recipeOptimizer(recipe), init: () => loaded.opt });
      return { state: { ...state, step: p.step }, progress: p, records, rewriteMetrics: torn > 0 || records.length !== all.length, resumedFrom };
    } catch (e) {
      disposeTree([loaded.params, loaded.opt]);
      throw e;
    }
  }

  /** The first changes, once everything is validated: a fresh run clears leftovers, a resume drops what is ahead of its state. */
  async begin(run: PreparedRun): Promise<void> {
    const f = this.files;
    if (run.resumedFrom === null) {
      const found = await this.found();
      if (found.kind === 'leftovers') {
        this.o.log(`${this.dir}: removing ${found.files.join(', ')} of a run killed before its first save`);
        for (const name of found.files) await this.saving(path.join(this.dir, name), () => rm(path.join(this.dir, name), { force: true }));
        this.seen = null;
      }
      return;
    }
    if (run.rewriteMetrics) await this.saving(f.metrics, () => writeMetrics(f.metrics, run.records, this.hooks('metrics-rewrite')));
    const best = await readSafetensorsHeader(f.best).catch(() => null);
    if (best && (best.metadata.run !== run.progress.run || Number(best.metadata.epoch) > run.progress.epoch)) {
      this.o.log(`${f.best} is from after the resume point (a save was cut short); it is removed and written again when its epoch is redone`);
      await this.saving(f.best, () => unlink(f.best));
    }
  }

  /** Steps 1-5 of the save order at the end of an epoch; `records` ends with this epoch's. */
  async saveEpoch(model: KindAndConfig, state: TrainState<unknown>, progress: TrainingProgress, records: readonly [...MetricsRecord[], MetricsRecord], best: boolean, title: string): Promise<void> {
    const f = this.files;
    const record = records[records.length - 1];
    await this.saving(f.metrics, () => appendLine(f.metrics, formatMetricsLine(record), this.hooks('metrics')));
    this.o.boundary?.('metrics');
    await this.saving(f.curves, () => writeFileAtomic(f.curves, renderCurvesSvg(records, { title }), this.hooks('curves')));
    this.o.boundary?.('curves');
    if (best) {
      const bytes = await encodeModelFile(model, f.best, state.params, { ...pairMetadata(progress), val_accuracy: String(record.valAcc) });
      await this.saving(f.best, () => writeFileAtomic(f.best, bytes, this.hooks('best')));
      this.o.boundary?.('best');
    }
    await this.saveState(model, state, progress);
  }

  /** Steps 4-5: the resume point, then its model file. */
  async saveState(model: KindAndConfig, state: TrainState<unknown>, progress: TrainingProgress): Promise<void> {
    const f = this.files;
    const stateBytes = await encodeTrainState(model.kind, f.state, model.cfg, state.params, state.opt, progress);
    await this.saving(f.state, () => writeFileAtomic(f.state, stateBytes, this.hooks('state')));
    this.o.boundary?.('state');
    const bytes = await encodeModelFile(model, f.last, state.params, pairMetadata(progress));
    await this.saving(f.last, () => writeFileAtomic(f.last, bytes, this.hooks('model')));
    this.o.boundary?.('model');
  }

  private hooks(step: string) {
    const b = this.o.boundary;
    return b ? { beforeRename: () => b(`${step}:tmp`), midLine: () => b(`${step}:mid-line`) } : {};
  }

  /** Runs a write; a failure (disk full, read-only) ends the run naming the file, earlier files intact. */
  private async saving(file: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ? describeFsError(e) : (e as Error).message;
      throw new StopRun(`cannot save ${file}: ${why}; the files saved before are kept`, 1);
    }
  }
}

/** Why --resume finds nothing to resume in `dir`. */
export function nothingToResume(dir: string, found: Found): string {
  if (found.kind === 'leftovers') return `--resume: no run to resume in ${dir}: it holds only ${found.files.join(', ')} of a run killed before its first save; start it again without --resume`;
  return `--resume: no run to resume in ${dir} (last.train.safetensors is missing)`;
}

/** What changed between the data a run was trained on and the data given now, in words (null: nothing). */
export function dataChange(stored: DataSource | undefined, now: DataSource): string | null {
  if (!stored) return null;
  const names = [...new Set([...Object.keys(stored.files), ...Object.keys(now.files)])].sort();
  const changed = names.filter((n) => stored.files[n] !== now.files[n]).map((n) => (stored.files[n] === undefined ? `${n} is new` : now.files[n] === undefined ? `${n} is gone` : `${n} differs`));
  if (!changed.length) return null;
  return `${changed.join(', ')} (the run was trained on ${stored.dir}, this is ${now.dir})`;
}
