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
import { loadModel } from '../vit/checkpoint-file.js';
import { readTrainProgress, trainStatePath } from '../train/checkpoint.js';
import { evaluate, existingRunFiles, lastCheckpoint, runTraining } from '../train/loop.js';
import { augmentNames, optimizerNames, parseRecipe, presetNames, presets, recipeConfig, type PresetName, type Recipe } from '../train/presets.js';
import { FlagError, helpText, parseFlags } from './flags.js';
import { ProgressReporter } from './progress.js';

/** "(seed 8, quick 8)": what each preset sets a recipe flag to. */
const byPreset = (k: keyof Recipe) => `; ${presetNames.map((p) => `${p}: ${showValue(presets[p][k])}`).join(', ')}`;
const showValue = (v: Recipe[keyof Recipe]) => (v === undefined ? 'all' : Array.isArray(v) ? v.join(',') : String(v));

const spec = {
  preset: { type: 'enum', values: presetNames, help: 'recipe preset: seed is the PyTorch recipe, quick a CPU-sized one (default: seed with a hardware GPU, quick otherwise)' },
  'patch-size': { type: 'int', min: 1, help: `patch size P, must divide 32 (${byPreset('patchSize').slice(2)})` },
  'embed-dim': { type: 'int', min: 1, help: `embedding dim E (${byPreset('embedDim').slice(2)})` },
  heads: { type: 'int', min: 1, help: `attention heads H, must divide E (${byPreset('heads').slice(2)})` },
  'mlp-dim': { type: 'int', min: 1, help: `MLP hidden dim (${byPreset('mlpDim').slice(2)})` },
  layers: { type: 'int', min: 1, help: `encoder layers (${byPreset('layers').slice(2)})` },
  dropout: { type: 'float', min: 0, max: 0.99, help: `dropout on attention weights and the MLP (${byPreset('dropout').slice(2)})` },
  'batch-size': { type: 'int', min: 1, max: 4096, help: `batch size (${byPreset('batchSize').slice(2)})` },
  epochs: { type: 'int', min: 1, help: `epochs, also the cosine T_max (${byPreset('epochs').slice(2)})` },
  lr: { type: 'float', min: 0, help: `base learning rate (${byPreset('lr').slice(2)})` },
  betas: { type: 'floatPair', min: 0, max: 0.999999, help: `Adam betas (${byPreset('betas').slice(2)})` },
  'weight-decay': { type: 'float', min: 0, help: `weight decay: L2 for adam/sgd, decoupled for adamw (${byPreset('weightDecay').slice(2)})` },
  optimizer: { type: 'enum', values: optimizerNames, help: `optimizer (${byPreset('optimizer').slice(2)})` },
  momentum: { type: 'float', min: 0, max: 0.999999, help: `SGD momentum (${byPreset('momentum').slice(2)})` },
  'label-smoothing': { type: 'float', min: 0, max: 1, help: `label smoothing of the training loss, also used for the Val Loss column (${byPreset('labelSmoothing').slice(2)})` },
  'warmup-epochs': { type: 'int', min: 0, help: `gradual warmup epochs before the cosine schedule (${byPreset('warmupEpochs').slice(2)})` },
  'eta-min': { type: 'float', min: 0, help: `final learning rate of the cosine schedule (${byPreset('etaMin').slice(2)})` },
  augment: { type: 'enum', values: augmentNames, help: `training augmentation (${byPreset('augment').slice(2)})` },
  seed: { type: 'int', min: 0, help: `seed of init, shuffling, augmentation and dropout (${byPreset('seed').slice(2)})` },
  'limit-train': { type: 'int', min: 1, help: `use the first N training records, file order (${byPreset('limitTrain').slice(2)})` },
  'limit-test': { type: 'int', min: 1, help: 'use the first N test records, file order (default all 10000)' },
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
    console.log(helpText(spec, usage));
    return 0;
  }
  const flags = parsed.flags;
  checkFlagCombinations(flags);

  // what can be refused without a backend or data is refused first
  const outDirFlag = flags.outDir;
  let stored: { recipe: Recipe; file: string } | null = null;
  if (flags.resume && outDirFlag !== undefined) stored = await storedRun(outDirFlag);
  if (!flags.resume && !flags.evalOnly && outDirFlag !== undefined) await checkFreshOutDir(outDirFlag);
  let evalModel = flags.evalOnly && (flags.checkpoint !== undefined || outDirFlag !== undefined) ? await loadModel(flags.checkpoint ?? path.join(outDirFlag!, 'best.safetensors')) : null;

  if (flags.backend) setBackend(flags.backend as BackendName);
  const be = await backend();
  const hardwareGpu = be.name === 'webgpu' && !be.description.includes('software');
  const presetName: PresetName = flags.preset ?? (hardwareGpu ? 'seed' : 'quick');
  const outDir = outDirFlag ?? path.join('runs', presetName);
  if (outDirFlag === undefined) {
    if (flags.resume) stored = await storedRun(outDir);
    else if (!flags.evalOnly) await checkFreshOutDir(outDir);
    else evalModel = await loadModel(path.join(outDir, 'best.safetensors'));
  }
  if (!flags.preset && !flags.evalOnly && !flags.resume) info(`preset: ${presetName} (${hardwareGpu ? 'a hardware GPU is available' : 'no hardware GPU adapter: CPU-sized recipe; --preset seed runs the full one'})`);
  info(`backend: ${be.description}`);

  const recipe = stored ? resumedRecipe(stored, flags) : newRecipe(presets[presetName], flags);
  let cfg: VitConfig;
  try {
    cfg = recipeConfig(recipe);
  } catch (e) {
    throw new FlagError(`invalid model: ${(e as Error).message}`);
  }

  const data = await resolveCifar10({ dataDir: flags.dataDir, log: info });
  const { train, test } = await loadCifar10(data.dir);

  if (evalModel) {
    const res = (await evaluate(evalModel.cfg, evalModel.params, test, { batchSize: 250, limit: flags.limitTest, labelSmoothing: 0 }))!;
    log(`Test (${res.count} images) cross-entropy: ${res.loss.toFixed(4)} Accuracy: ${res.accuracy.toFixed(4)}`);
    log(JSON.stringify({ checkpoint: flags.checkpoint ?? path.join(outDir, 'best.safetensors'), n: res.count, accuracy: res.accuracy, mean_loss: res.loss }));
    return 0;
  }

  log(`#Parameter: ${vit.expectedShapes(cfg).reduce((s, e) => s + e.shape.reduce((p, d) => p * d, 1), 0)}`);
  info(`losses: Train/Val Loss are the training criterion (cross-entropy with label smoothing ${recipe.labelSmoothing}); --eval-only reports plain cross-entropy`);
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
      recipe,
      outDir,
      resume: flags.resume,
      train,
      test,
      limitTest: flags.limitTest,
      log,
      reporter: new ProgressReporter(process.stderr),
      signal: controller.signal,
    });
    log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s: best val accuracy ${res.bestValAcc.toFixed(4)}, last ${res.lastValAcc.toFixed(4)}; files in ${outDir}`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function checkFlagCombinations(flags: Flags): void {
  if (flags.checkpoint !== undefined && !flags.evalOnly) throw new FlagError('--checkpoint goes with --eval-only');
  if (flags.resume && flags.evalOnly) throw new FlagError('--resume and --eval-only exclude each other');
  for (const k of ['dataDir', 'outDir', 'checkpoint'] as const) if (flags[k] === '') throw new FlagError(`${flagName(k)} is empty; give a path or leave the flag out`);
  if (flags.evalOnly) {
    const recipeFlags = recipeKeys.filter((k) => flags[k] !== undefined).map(flagName);
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
    return; // created when the run starts (errors then name it)
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
