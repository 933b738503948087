// `shaped-vit train-cifar`: the PyTorch CIFAR-10 ViT recipe from flags and presets. Everything
// that can be refused cheaply (flags, the out-dir, a run to resume, a checkpoint to evaluate) is
// checked before the backend starts or any data is read.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { backend, setBackend, backendNames, type BackendName } from '../dsl/index.js';
import { resolveCifar10 } from '../data/source.js';
import { loadCifar10 } from '../data/cifar.js';
import { vit, type VitConfig } from '../vit/index.js';
import { describeConfig } from '../vit/checkpoint.js';
import { inspectModel, loadModel } from '../vit/checkpoint-file.js';
import { readTrainProgress, trainStatePath } from '../train/checkpoint.js';
import { evaluate, existingRunFiles, lastCheckpoint, prepareRun, runTraining, type PreparedRun } from '../train/loop.js';
import { augmentNames, optimizerNames, parseRecipe, presetNames, presets, recipeConfig, type PresetName, type Recipe } from '../train/presets.js';
import { FlagError, helpText, parseFlags } from './flags.js';
import { ProgressReporter } from './progress.js';

const showValue = (v: Recipe[keyof Recipe]) => (v === undefined ? 'all' : Array.isArray(v) ? v.join(',') : String(v));

const spec = {
  preset: { type: 'enum', values: presetNames, help: 'recipe preset: seed is the PyTorch recipe, quick a CPU-sized one (default: seed with a hardware GPU, quick otherwise)' },
  'patch-size': { type: 'int', min: 1, help: `patch size P, must divide 32` },
  'embed-dim': { type: 'int', min: 1, help: `embedding dim E` },
  heads: { type: 'int', min: 1, help: `attention heads H, must divide E` },
  'mlp-dim': { type: 'int', min: 1, help: `MLP hidden dim` },
  layers: { type: 'int', min: 1, help: `encoder layers` },
  dropout: { type: 'float', min: 0, max: 0.99, help: `dropout on attention weights and the MLP` },
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
  checkFlagCombinations(flags);

  // what can be refused without a backend or data is refused first
  const outDirFlag = flags.outDir;
  const evalFile = flags.evalOnly && (flags.checkpoint !== undefined || outDirFlag !== undefined) ? (flags.checkpoint ?? path.join(outDirFlag!, 'best.safetensors')) : null;
  let recipe: Recipe | null = null;
  if (outDirFlag !== undefined) recipe = await checkRun(flags, outDirFlag, flags.preset);
  else if (flags.preset && !flags.resume && !flags.evalOnly) recipe = validRecipe(newRecipe(presets[flags.preset], flags));
  if (evalFile) await inspectModel(evalFile);

  if (flags.backend) setBackend(flags.backend as BackendName);
  const be = await backend();
  const hardwareGpu = be.name === 'webgpu' && !be.description.includes('software');
  const presetName: PresetName = flags.preset ?? (hardwareGpu ? 'seed' : 'quick');
  const outDir = outDirFlag ?? path.join('runs', presetName);
  if (outDirFlag === undefined) {
    recipe = await checkRun(flags, outDir, presetName);
    if (flags.evalOnly) await inspectModel(path.join(outDir, 'best.safetensors'));
  } else if (!recipe && !flags.evalOnly) {
    recipe = validRecipe(newRecipe(presets[presetName], flags));
  }
  if (!flags.preset && !flags.evalOnly && !flags.resume) info(`preset: ${presetName} (${hardwareGpu ? 'a hardware GPU is available' : 'no hardware GPU adapter: CPU-sized recipe; --preset seed runs the full one'})`);
  info(`backend: ${be.description}`);

  // the run's state is loaded and checked (a resume: consistent, finite, this recipe) before the data
  const evalModel = flags.evalOnly ? await loadModel(evalFile ?? path.join(outDir, 'best.safetensors')) : null;
  const prepared: PreparedRun | null = evalModel ? null : await prepareRun({ recipe: recipe!, outDir, resume: flags.resume });

  const data = await resolveCifar10({ dataDir: flags.dataDir, log: info });
  const { train, test } = await loadCifar10(data.dir);

  if (evalModel) {
    const limit = flags.limitTest;
    const res = (await evaluate(evalModel.cfg, evalModel.params, test, { batchSize: 250, limit, labelSmoothing: 0 }))!;
    log(`Test (${res.count} images) cross-entropy: ${res.loss.toFixed(4)} Accuracy: ${res.accuracy.toFixed(4)}`);
    log(JSON.stringify({ checkpoint: evalFile ?? path.join(outDir, 'best.safetensors'), n: res.count, accuracy: res.accuracy, mean_loss: res.loss }));
    return 0;
  }

  const cfg = recipeConfig(recipe!);
  log(`#Parameter: ${vit.expectedShapes(cfg).reduce((s, e) => s + e.shape.reduce((p, d) => p * d, 1), 0)}`);
  info(`losses: Train/Val Loss are the training criterion (cross-entropy with label smoothing ${recipe!.labelSmoothing}); --eval-only reports plain cross-entropy`);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    info('\ninterrupt: saving the current position (Ctrl-C again to quit without saving)');
  };
  process.on('SIGINT', onSigint);
  const t0 = performance.now();
  try {
    const res = await runTraining({
      recipe: recipe!,
      outDir,
      resume: flags.resume,
      train,
      test,
      log,
      reporter: new ProgressReporter(process.stderr),
      signal: controller.signal,
    }, prepared!);
    log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s: best val accuracy ${res.bestValAcc.toFixed(4)}, last ${res.lastValAcc.toFixed(4)}; files in ${outDir}`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
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
 * The recipe of the run in `outDir` once it is known to be startable: --resume restores the stored
 * one (conflicting flags refused), a new run needs a folder without a run. null for --eval-only.
 */
async function checkRun(flags: Flags, outDir: string, presetName: PresetName | undefined): Promise<Recipe | null> {
  if (flags.evalOnly) return null;
  if (flags.resume) return resumedRecipe(await storedRun(outDir), flags);
  await checkFreshOutDir(outDir);
  return presetName ? validRecipe(newRecipe(presets[presetName], flags)) : null;
}

/** The recipe, if its model is valid (else the shape rules' message, as a flag error). */
function validRecipe(r: Recipe): Recipe {
  try {
    recipeConfig(r);
  } catch (e) {
    throw new FlagError(`invalid model: ${(e as Error).message}`);
  }
  return r;
}

function checkFlagCombinations(flags: Flags): void {
  if (flags.checkpoint !== undefined && !flags.evalOnly) throw new FlagError('--checkpoint goes with --eval-only');
  if (flags.resume && flags.evalOnly) throw new FlagError('--resume and --eval-only exclude each other');
  for (const k of ['dataDir', 'outDir', 'checkpoint'] as const) if (flags[k] === '') throw new FlagError(`${flagName(k)} is empty; give a path or leave the flag out`);
  if (flags.evalOnly) {
    const recipeFlags = recipeKeys.filter((k) => k !== 'limitTest' && flags[k] !== undefined).map(flagName);
    if (flags.preset) recipeFlags.unshift('--preset');
    if (recipeFlags.length) throw new FlagError(`${recipeFlags.join(', ')}: --eval-only takes the model from the checkpoint; drop ${recipeFlags.length === 1 ? 'it' : 'them'}`);
  }
}

/** A fresh run needs an out-dir that is absent or a folder without a run in it. */
async function checkFreshOutDir(outDir: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(outDir)).isDirectory();
  } catch {
    // created when the run starts; its nearest existing parent must be a folder
    for (let d = path.dirname(path.resolve(outDir)); ; d = path.dirname(d)) {
      const parent = await stat(d).catch(() => null);
      if (parent && !parent.isDirectory()) throw new FlagError(`--out-dir ${outDir}: ${d} is not a folder`);
      if (parent || d === path.dirname(d)) return;
    }
  }
  if (!isDir) throw new FlagError(`--out-dir ${outDir} exists and is not a folder`);
  const found = await existingRunFiles(outDir);
  if (found.length) throw new FlagError(`${outDir} already holds a run (${found.join(', ')}); use --resume or another --out-dir`);
}

/** The recipe of the run to resume, validated as if given as flags, and its model config checked against the stored one. */
async function storedRun(outDir: string): Promise<{ recipe: Recipe; file: string }> {
  const file = trainStatePath(lastCheckpoint(outDir));
  try {
    await stat(file);
  } catch {
    throw new FlagError(`--resume: no run to resume in ${outDir} (${path.basename(file)} is missing)`);
  }
  const { progress, config } = await readTrainProgress(lastCheckpoint(outDir));
  const recipe = parseRecipe(progress.recipe);
  if (!recipe) throw new FlagError(`${file}: the stored recipe is not one this version writes`);
  try {
    parseFlags(spec, recipeArgs(recipe));
  } catch (e) {
    throw new FlagError(`${file}: the stored recipe is invalid: ${(e as Error).message}`);
  }
  let cfg: VitConfig;
  try {
    cfg = recipeConfig(recipe);
  } catch (e) {
    throw new FlagError(`${file}: the stored recipe's model is invalid: ${(e as Error).message}`);
  }
  const model = describeConfig(config);
  if (describeConfig(cfg) !== model) throw new FlagError(`${file}: the stored recipe (${describeConfig(cfg)}) does not match the stored model (${model})`);
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
  if (flags.preset) {
    const differs = recipeKeys.filter((k) => flags[k] === undefined && !same(presets[flags.preset!][k], r[k]));
    if (differs.length) conflicts.push(`--preset ${flags.preset} (sets ${differs.map((k) => `${flagName(k)} ${showValue(presets[flags.preset!][k])}`).slice(0, 4).join(', ')}; the run has ${differs.map((k) => showValue(r[k])).slice(0, 4).join(', ')})`);
  }
  if (conflicts.length) throw new FlagError(`--resume: ${conflicts.join('; ')} conflict${conflicts.length === 1 ? 's' : ''} with the run stored in ${stored.file}; drop ${conflicts.length === 1 ? 'it' : 'them'} (the run's recipe is restored) or use another --out-dir`);
  return r;
}
