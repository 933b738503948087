// `shaped-vit train-cifar`: the PyTorch CIFAR-10 ViT recipe from flags and presets. Everything
// that can be refused cheaply (flags, the out-dir, a run to resume, a checkpoint to evaluate) is
// checked before the backend starts or any data is read.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { backend, setBackend, backendNames, type BackendName } from '../dsl/index.js';
import { resolveCifar10 } from '../data/source.js';
import { CIFAR10_CLASSES, CIFAR_SIDE, loadCifar10, recordCounts } from '../data/cifar.js';
import { writeFileAtomic } from '../io/atomic.js';
import { ConfusionMatrix, renderConfusionSvg } from '../train/confusion.js';
import { CONFIG_LIMITS } from '../vit/checkpoint.js';
import { vitPools } from '../vit/index.js';
import { RESNET_LIMITS } from '../resnet/checkpoint.js';
import { modelKinds, modelNames } from '../train/models.js';
import { inspectModelFile, loadModelFile, type KindAndConfig } from '../train/model-file.js';
import { evaluate, runTraining } from '../train/loop.js';
import * as E from 'fp-ts/lib/Either.js';
import { allOf, invalid, orThrow, valid, type Validation } from '../io/validation.js';
import { availableMemory, fitsInMemory } from '../train/memory.js';
import { nothingToResume, RunFolder, StopRun, type Found } from '../train/run-folder.js';
import { augmentNames, modelKnobs, optimizerNames, parseRecipe, presetNames, presets, recipeModel, type PresetName, type Recipe } from '../train/presets.js';
import { FlagError, helpText, parseFlags } from './flags.js';
import { ProgressReporter } from './progress.js';

const showValue = (v: Recipe[keyof Recipe]) => (v === undefined ? 'all' : Array.isArray(v) ? v.join(',') : String(v));

const spec = {
  preset: { type: 'enum', values: presetNames, help: 'recipe preset: seed is the PyTorch recipe, quick a CPU-sized one, resnet a CPU-sized ResNet (default: resnet with --model resnet, else seed with a hardware GPU, quick otherwise)' },
  model: { type: 'enum', values: modelNames, help: 'the model: a ViT (--patch-size ... --layers) or a ResNet with GroupNorm (--width, --blocks); with --eval-only, the kind the checkpoint must hold' },
  width: { type: 'int', min: 1, max: RESNET_LIMITS.width, help: `ResNet: channels of the first stage (then 2x, 4x); a multiple of 4` },
  blocks: { type: 'int', min: 1, max: RESNET_LIMITS.blocks, help: `ResNet: basic blocks per stage` },
  'patch-size': { type: 'int', min: 1, max: 32, help: `patch size P, must divide 32` },
  'embed-dim': { type: 'int', min: 1, max: CONFIG_LIMITS.embed_dim, help: `embedding dim E` },
  heads: { type: 'int', min: 1, max: CONFIG_LIMITS.n_heads, help: `attention heads H, must divide E` },
  'mlp-dim': { type: 'int', min: 1, max: CONFIG_LIMITS.diff_dim, help: `MLP hidden dim` },
  layers: { type: 'int', min: 1, max: CONFIG_LIMITS.num_layers, help: `encoder layers` },
  dropout: { type: 'float', min: 0, max: 0.99, help: `dropout on attention weights and the MLP` },
  pool: { type: 'enum', values: vitPools, help: `what the classifier reads: the class token, or the mean of all tokens` },
  'batch-size': { type: 'int', min: 1, max: 4096, help: `batch size` },
  epochs: { type: 'int', min: 1, help: `epochs, also the cosine T_max` },
  lr: { type: 'float', min: 0, help: `base learning rate` },
  betas: { type: 'floatPair', min: 0, max: 0.999999, help: `Adam betas` },
  'weight-decay': { type: 'float', min: 0, help: `weight decay: L2 for adam/sgd, decoupled for adamw` },
  optimizer: { type: 'enum', values: optimizerNames, help: `optimizer` },
  momentum: { type: 'float', min: 0, max: 0.999999, help: `SGD momentum` },
  'label-smoothing': { type: 'float', min: 0, max: 1, help: `label smoothing of the training loss, also used for the Val Loss column` },
  'warmup-epochs': { type: 'int', min: 0, help: `gradual warmup epochs before the cosine schedule` },
  'eta-min': { type: 'float', min: 0, help: `final learning rate of the cosine schedule` },
  augment: { type: 'enum', values: augmentNames, help: `training augmentation` },
  seed: { type: 'int', min: 0, help: `seed of init, shuffling, augmentation and dropout` },
  'limit-train': { type: 'int', min: 1, help: `use the first N training records, file order` },
  'limit-test': { type: 'int', min: 1, help: `validate (or --eval-only test) on the first N test records, file order` },
  backend: { type: 'enum', values: backendNames, help: 'compute backend (default: a hardware WebGPU adapter, else webasm)' },
  'data-dir': { type: 'string', help: 'CIFAR-10 folder or cifar-10-binary.tar.gz (else CIFAR10_DIR, the cache ~/.cache/shaped-vit, or a download)' },
  'out-dir': { type: 'string', help: 'run folder for checkpoints, metrics.jsonl, curves.svg (default runs/<preset>)' },
  resume: { type: 'bool', help: 'continue the run in --out-dir from its last checkpoint; its model and recipe come from the checkpoint' },
  'eval-only': { type: 'bool', help: 'only evaluate a checkpoint on the test set (plain cross-entropy, no label smoothing)' },
  checkpoint: { type: 'string', help: 'with --eval-only: the .safetensors file (default <out-dir>/best.safetensors)' },
  'allow-data-change': { type: 'bool', help: 'with --resume: continue even if the data differs from the data the run was trained on (logged)' },
} as const;

type Flags = NonNullable<ReturnType<typeof parseFlags<typeof spec>>['flags']>;

/** Recipe knobs, each named exactly like its flag (camelCase). */
const recipeKeys = Object.keys(presets.seed) as (keyof Recipe)[];
const flagName = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

const log = (line: string) => console.log(line);
// run information goes to stderr, so stdout starts with the recipe's `#Parameter:` line
const info = (line: string) => console.error(line);

const usage = 'shaped-vit train-cifar [flags]   (npm run train:cifar -- [flags])';

export async function trainCifar(argv: string[]): Promise<number> {
  const parsed = parseFlags(spec, argv);
  if (parsed.help) {
    console.log(helpText(spec, usage) + presetTable());
    return 0;
  }
  const flags = parsed.flags;
  const combinations = flagCombinations(flags);
  if (flags.evalOnly) return evalOnly(flags, combinations);
  // from here on a signal stops the run at its next safe point, saving it
  const signal = stopSignal();

  // the folder is held from here on; flags that do not go together (reported below with the rest)
  // leave every folder alone
  const opens = E.isRight(combinations);
  let folder: RunFolder | null = null;
  try {
    let recipe: Recipe | null = null;
    const knownPreset = flags.preset ?? (flags.model === 'resnet' ? 'resnet' : undefined);
    if (opens && flags.outDir !== undefined) ({ folder, recipe } = await openRun(flags, flags.outDir, knownPreset));

    if (flags.backend) setBackend(flags.backend as BackendName);
    const be = await backend();
    const hardwareGpu = be.name === 'webgpu' && !be.description.includes('software');
    const presetName: PresetName = knownPreset ?? (hardwareGpu ? 'seed' : 'quick');
    if (opens && !folder) ({ folder, recipe } = await openRun(flags, path.join('runs', presetName), presetName));
    recipe ??= newRecipe(presets[presetName], flags);
    if (!knownPreset && !flags.resume) info(`preset: ${presetName} (${hardwareGpu ? 'a hardware GPU is available' : 'no hardware GPU adapter: CPU-sized recipe; --preset seed runs the full one'})`);
    info(`backend: ${be.description}`);

    // every problem of the command line at once, one line each, before any data is read: flags that
    // do not go together, a model that is invalid or does not fit in memory, limits above the data
    const local = flags.dataDir !== '' ? await resolveCifar10({ dataDir: flags.dataDir, download: false, log: info }).catch(() => null) : null;
    const counts = local && (await recordCounts(local.dir));
    const limits = { limitTrain: recipe.limitTrain, limitTest: recipe.limitTest };
    orThrow(allOf([combinations, knobsFit(recipe, flags), flags.resume ? valid(recipe) : recipeFits(recipe), limitsFit(limits, counts)]), (problems) => new FlagError(problems));
    if (!folder) throw new Error('internal: the run folder is held once the command line is valid');

    // the run's state is loaded and checked (a resume: consistent, finite, this recipe) before the data
    const prepared = await folder.prepare(recipe, flags.resume);
    const data = local ?? (await resolveCifar10({ dataDir: flags.dataDir, log: info }));
    const { train, test, checksums } = await loadCifar10(data.dir);

    const { kind, cfg } = recipeModel(recipe);
    log(`#Parameter: ${kind.parameterCount(cfg)}`);
    info(`losses: Train/Val Loss are the training criterion (cross-entropy with label smoothing ${recipe.labelSmoothing}); --eval-only reports plain cross-entropy`);
    const t0 = performance.now();
    const res = await runTraining({
      recipe,
      folder,
      train,
      test,
      log,
      reporter: new ProgressReporter(process.stderr),
      signal,
      data: { dir: path.resolve(data.dir), files: checksums },
      allowDataChange: flags.allowDataChange,
    }, prepared);
    log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s: best val accuracy ${res.bestValAcc.toFixed(4)}, last ${res.lastValAcc.toFixed(4)}; files in ${folder.dir}`);
    return 0;
  } finally {
    folder?.release();
  }
}

/** --eval-only: the checkpoint (--checkpoint, else <out-dir>/best.safetensors, else runs/<preset>/) on the test set. */
async function evalOnly(flags: Flags, combinations: Validation<unknown>): Promise<number> {
  orThrow(combinations, (problems) => new FlagError(problems));
  const given = flags.checkpoint ?? (flags.outDir !== undefined ? path.join(flags.outDir, 'best.safetensors') : null);
  const kind = flags.model === undefined ? undefined : modelKinds[flags.model];
  if (given) await checkFitsData(await inspectModelFile(given, kind), given);
  if (flags.backend) setBackend(flags.backend as BackendName);
  const be = await backend();
  const file = given ?? path.join('runs', flags.model === 'resnet' ? 'resnet' : be.name === 'webgpu' && !be.description.includes('software') ? 'seed' : 'quick', 'best.safetensors');
  if (!given) await checkFitsData(await inspectModelFile(file, kind), file);
  info(`backend: ${be.description}`);
  const model = await loadModelFile(file, kind);
  const data = await resolveCifar10({ dataDir: flags.dataDir, log: info });
  orThrow(limitsFit({ limitTest: flags.limitTest }, await recordCounts(data.dir)), (problems) => new FlagError(problems));
  const { test } = await loadCifar10(data.dir);
  const confusion = new ConfusionMatrix(model.cfg.classes);
  const res = await evaluate(model, model.params, test, { batchSize: 250, limit: flags.limitTest, labelSmoothing: 0, confusion });
  log(`Test (${res.count} images) cross-entropy: ${res.loss.toFixed(4)} Accuracy: ${res.accuracy.toFixed(4)}`);
  await reportConfusion(confusion, flags.outDir ?? path.dirname(file));
  log(JSON.stringify({ checkpoint: file, n: res.count, accuracy: res.accuracy, mean_loss: res.loss }));
  return 0;
}

/** --eval-only's per-class accuracy lines and confusion.svg (atomic) in the out-dir (default: the checkpoint's folder). */
async function reportConfusion(m: ConfusionMatrix, outDir: string): Promise<void> {
  const width = Math.max(...CIFAR10_CLASSES.map((l) => l.length));
  for (const [t, label] of CIFAR10_CLASSES.entries()) {
    const acc = m.accuracy(t);
    log(`  ${label.padEnd(width)}  ${Number.isNaN(acc) ? '     -' : acc.toFixed(4)}  (${m.counts[t * m.classes + t]}/${m.total(t)})`);
  }
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, 'confusion.svg');
  await writeFileAtomic(file, renderConfusionSvg(m, CIFAR10_CLASSES));
  info(`confusion matrix: ${file}`);
}

/**
 * --limit-train and --limit-test must not ask for more records than the data has: the records in
 * its folder (counted from the files' sizes, before reading them), or CIFAR-10's 50,000 and 10,000
 * while it is not here yet (it is downloaded after this check).
 */
function limitsFit(limits: { limitTrain?: number; limitTest?: number }, counts: { train: number; test: number; dir: string } | null): Validation<unknown> {
  const where = counts ? ` in ${counts.dir}` : ' of CIFAR-10';
  const over = (flag: string, limit: number | undefined, have: number, what: string) =>
    limit !== undefined && limit > have ? invalid(`${flag} ${limit} is above the ${have} ${what} records${where}`) : valid(limit);
  return allOf([over('--limit-train', limits.limitTrain, counts?.train ?? 50_000, 'training'), over('--limit-test', limits.limitTest, counts?.test ?? 10_000, 'test')]);
}

/** A model for other images or classes than CIFAR-10's is refused, naming both. */
async function checkFitsData({ cfg }: KindAndConfig, file: string): Promise<void> {
  const want: { imageSize: number; channels: number; classes: number } = { imageSize: CIFAR_SIDE, channels: 3, classes: CIFAR10_CLASSES.length };
  const have = { imageSize: cfg.imageSize, channels: cfg.channels, classes: cfg.classes };
  if (JSON.stringify(have) === JSON.stringify(want)) return;
  const show = (x: typeof want) => `${x.imageSize}x${x.imageSize} images with ${x.channels} channels and ${x.classes} classes`;
  throw new FlagError(`${file}: the model takes ${show(have)}; CIFAR-10 has ${show(want)}`);
}

/** Aborted by SIGINT, SIGTERM or SIGHUP (the reason names it and its exit code); a second signal exits at once. */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const codes = { SIGINT: 130, SIGHUP: 129, SIGTERM: 143 } as const;
  for (const [signal, exitCode] of Object.entries(codes)) {
    process.on(signal, () => {
      if (controller.signal.aborted) {
        info(`\nsecond ${signal}: quitting without saving`);
        process.exit(exitCode);
      }
      controller.abort({ signal, exitCode });
      info(`\n${signal}: saving the current position (${signal === 'SIGINT' ? 'Ctrl-C' : 'a signal'} again to quit without saving)`);
    });
  }
  return controller.signal;
}

/** Each preset's value of every recipe flag, as a table for --help. */
function presetTable(): string {
  const rows = recipeKeys.map((k) => [flagName(k), ...presetNames.map((p) => showValue(presets[p][k]))]);
  const head = ['', ...presetNames];
  const widths = head.map((_, i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd();
  return ['', 'Presets (--preset sets all of these; a flag given overrides its value; "all" = every record):', line(head), ...rows.map(line)].join('\n') + '\n';
}

/**
 * Takes the run folder (refused if another process holds it or it cannot be written) and finds
 * the recipe: --resume restores the stored one (conflicting flags refused), a new run needs a
 * folder without a run. The recipe is null when the preset is not known yet.
 */
async function openRun(flags: Flags, outDir: string, presetName: PresetName | undefined): Promise<{ folder: RunFolder; recipe: Recipe | null }> {
  await checkOutDirPath(outDir);
  const folder = await RunFolder.open(outDir, { resume: flags.resume, log: info, boundary: killHook() });
  try {
    const found = await folder.found();
    if (flags.resume) {
      if (found.kind !== 'run') throw new StopRun(nothingToResume(outDir, found), 2);
      return { folder, recipe: resumedRecipe(storedRecipe(found), flags) };
    }
    if (found.kind === 'run') throw new FlagError(`${outDir} already holds a run (${(await folder.runFileNames()).join(', ')}); use --resume or another --out-dir`);
    return { folder, recipe: presetName ? newRecipe(presets[presetName], flags) : null };
  } catch (e) {
    folder.release();
    throw e;
  }
}

/**
 * SHAPED_VIT_KILL_AT=N kills this process (SIGKILL, no cleanup) at the N-th boundary between the
 * steps of a save (see run-folder.ts): the crash tests cut a run at every one of them.
 */
function killHook(): ((name: string) => void) | undefined {
  const n = Number(process.env.SHAPED_VIT_KILL_AT);
  if (!Number.isSafeInteger(n) || n < 1) return undefined;
  let count = 0;
  return () => {
    if (++count === n) process.kill(process.pid, 'SIGKILL');
  };
}

/** The recipe, if its model is valid (else the shape rules' message) and fits in memory: a model or batch that cannot is refused now, not after minutes of allocation. */
function recipeFits(r: Recipe): Validation<Recipe> {
  let model: KindAndConfig;
  try {
    model = recipeModel(r);
  } catch (e) {
    return invalid(`invalid model: ${(e as Error).message}`);
  }
  const slots = r.optimizer === 'sgd' ? (r.momentum > 0 ? 1 : 0) : 2;
  return E.map(() => r)(fitsInMemory(model.kind, model.cfg, r.batchSize, slots, availableMemory()));
}

/** A knob of the other model kind would be silently ignored: refused by name. */
function knobsFit(r: Recipe, flags: Flags): Validation<unknown> {
  const other = modelNames.filter((m) => m !== r.model).flatMap((m) => modelKnobs[m]).filter((k) => flags[k] !== undefined);
  if (!other.length) return valid(null);
  return invalid(`${other.map(flagName).join(', ')}: not a ${r.model === 'resnet' ? 'ResNet' : 'ViT'} flag; this run trains a ${r.model} (its flags: ${modelKnobs[r.model].map(flagName).join(', ')})`);
}

/** Flags that do not go together, each a problem of its own. */
function flagCombinations(flags: Flags): Validation<unknown> {
  const problem = (bad: boolean, text: string) => (bad ? invalid(text) : valid(null));
  const recipeFlags = recipeKeys.filter((k) => k !== 'limitTest' && k !== 'model' && flags[k] !== undefined).map(flagName);
  if (flags.preset) recipeFlags.unshift('--preset');
  return allOf([
    problem(flags.checkpoint !== undefined && !flags.evalOnly, '--checkpoint goes with --eval-only'),
    problem(flags.resume && flags.evalOnly, '--resume and --eval-only exclude each other'),
    problem(flags.allowDataChange && !flags.resume, '--allow-data-change goes with --resume'),
    ...(['dataDir', 'outDir', 'checkpoint'] as const).map((k) => problem(flags[k] === '', `${flagName(k)} is empty; give a path or leave the flag out`)),
    problem(flags.evalOnly && recipeFlags.length > 0, `${recipeFlags.join(', ')}: --eval-only takes the model from the checkpoint; drop ${recipeFlags.length === 1 ? 'it' : 'them'}`),
  ]);
}

/** The out-dir must be a folder or absent with a folder as its nearest existing parent. */
async function checkOutDirPath(outDir: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(outDir)).isDirectory();
  } catch {
    for (let d = path.dirname(path.resolve(outDir)); ; d = path.dirname(d)) {
      const parent = await stat(d).catch(() => null);
      if (parent && !parent.isDirectory()) throw new FlagError(`--out-dir ${outDir}: ${d} is not a folder`);
      if (parent || d === path.dirname(d)) return;
    }
  }
  if (!isDir) throw new FlagError(`--out-dir ${outDir} exists and is not a folder`);
}

/** The recipe of the run to resume, validated as if given as flags, and its model config checked against the stored one. */
function storedRecipe(found: Extract<Found, { kind: 'run' }>): { recipe: Recipe; file: string } {
  const { path: file, progress, model } = found.state;
  const recipe = parseRecipe(progress.recipe);
  if (!recipe) throw new FlagError(`${file}: the stored recipe is not one this version writes`);
  try {
    parseFlags(spec, recipeArgs(recipe));
  } catch (e) {
    throw new FlagError(`${file}: the stored recipe is invalid: ${(e as Error).message}`);
  }
  let described: string;
  try {
    const { kind, cfg } = recipeModel(recipe);
    described = kind.describe(cfg);
  } catch (e) {
    throw new FlagError(`${file}: the stored recipe's model is invalid: ${(e as Error).message}`);
  }
  if (described !== model) throw new FlagError(`${file}: the stored recipe (${described}) does not match the stored model (${model})`);
  return { recipe, file };
}

/** A recipe as the flags that would produce it. */
function recipeArgs(r: Recipe): string[] {
  return recipeKeys.flatMap((k) => {
    const v = r[k];
    return v === undefined ? [] : [flagName(k), Array.isArray(v) ? v.join(',') : String(v)];
  });
}

function newRecipe(base: Recipe, flags: Flags): Recipe {
  const r = { ...base };
  for (const k of recipeKeys) if (flags[k] !== undefined) (r as Record<string, unknown>)[k] = flags[k];
  return r;
}

/** The stored recipe; a flag (or --preset value) that disagrees with it is refused by name. */
function resumedRecipe(stored: { recipe: Recipe; file: string }, flags: Flags): Recipe {
  const r = stored.recipe;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const conflicts: string[] = [];
  for (const k of recipeKeys) {
    if (flags[k] !== undefined && !same(flags[k], r[k])) conflicts.push(`${flagName(k)} ${showValue(flags[k] as Recipe[typeof k])} (the run has ${showValue(r[k])})`);
  }
  const preset = flags.preset;
  if (preset) {
    const differs = recipeKeys.filter((k) => flags[k] === undefined && !same(presets[preset][k], r[k]));
    if (differs.length) conflicts.push(`--preset ${preset} (sets ${differs.map((k) => `${flagName(k)} ${showValue(presets[preset][k])}`).slice(0, 4).join(', ')}; the run has ${differs.map((k) => showValue(r[k])).slice(0, 4).join(', ')})`);
  }
  if (conflicts.length) throw new FlagError(`--resume: ${conflicts.join('; ')} conflict${conflicts.length === 1 ? 's' : ''} with the run stored in ${stored.file}; drop ${conflicts.length === 1 ? 'it' : 'them'} (the run's recipe is restored) or use another --out-dir`);
  return r;
}
