// `train-cifar --model resnet` as a user runs it: a tiny ResNet trains through the CLI on tiny data
// (logs, checkpoints with the model kind, eval-only), a run stopped mid-epoch resumes to the same
// result as a straight one, and a checkpoint of the other model kind is refused in one line.
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readSafetensorsHeader } from '../src/io/safetensors-file.js';
import { resnet } from '../src/resnet/index.js';
import { saveModel, vit, type VitConfig } from '../src/index.js';
import { runTrainCifar } from './support/cli-run.js';
import { syntheticCifarDir } from './support/synthetic-cifar.js';

const tiny = ['--model', 'resnet', '--width', '4', '--blocks', '1', '--batch-size', '16', '--limit-train', '32', '--limit-test', '16', '--epochs', '2', '--backend', 'webasm'];
const epochLines = (s: string) => s.split('\n').filter((l) => l.startsWith('Epoch:'));
const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';

const setup = (async () => {
  const data = await syntheticCifarDir(64);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-resnet-cli-'));
  const straight = await runTrainCifar([...tiny, '--data-dir', data, '--out-dir', path.join(dir, 'a')]);
  return { data, dir, straight };
})();

test('a tiny ResNet trains through the CLI: parameter line, epoch lines, checkpoints that say resnet', async (t) => {
  const { dir, straight } = await setup;
  t.is(straight.code, 0, straight.stderr);
  const cfg = resnet.config({ imageSize: 32, channels: 3, classes: 10, width: 4, blocks: 1, normGroups: 4 });
  t.is(straight.stdout.split('\n')[0], `#Parameter: ${resnet.parameterCount(cfg)}`);
  t.is(epochLines(straight.stdout).length, 2);
  for (const file of ['best.safetensors', 'last.safetensors', 'last.train.safetensors']) {
    const header = await readSafetensorsHeader(path.join(dir, 'a', file));
    t.is(header.metadata.model, 'resnet', file);
    t.deepEqual(JSON.parse(header.metadata.config), resnet.torchConfig(cfg), file);
  }
});

test('a ResNet run stopped mid-epoch resumes to the same result as a straight run', async (t) => {
  const { data, dir, straight } = await setup;
  let sent = false;
  const cut = await runTrainCifar([...tiny, '--data-dir', data, '--out-dir', path.join(dir, 'b')], {
    onStderr: (text, child) => {
      if (!sent && /epoch 2\/2 \[#/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  t.is(cut.code, 130, cut.stderr);
  t.regex(lastLine(cut.stderr), /continue with --resume/);
  const resumed = await runTrainCifar(['--resume', '--data-dir', data, '--out-dir', path.join(dir, 'b'), '--backend', 'webasm']);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /resumed from .*epoch 2 at step/);
  // the wall time differs; losses and accuracies are the same numbers
  const numbers = (line: string | undefined) => line?.replace(/Time: [\d.]+/, '');
  t.is(numbers(epochLines(resumed.stdout).at(-1)), numbers(epochLines(straight.stdout).at(-1)));
});

test('--eval-only reads a ResNet checkpoint without being told its kind; a checkpoint of the other kind is refused in one line', async (t) => {
  const { data, dir } = await setup;
  const best = path.join(dir, 'a', 'best.safetensors');
  const evaluated = await runTrainCifar(['--eval-only', '--checkpoint', best, '--data-dir', data, '--limit-test', '16', '--backend', 'webasm']);
  t.is(evaluated.code, 0, evaluated.stderr);
  t.regex(evaluated.stdout, /Test \(16 images\) cross-entropy: [\d.]+ Accuracy: [\d.]+/);

  const asVit = await runTrainCifar(['--eval-only', '--model', 'vit', '--checkpoint', best, '--data-dir', data, '--backend', 'webasm']);
  t.not(asVit.code, 0);
  t.is(asVit.stderr.trim().split('\n').length, 1, asVit.stderr);
  t.regex(asVit.stderr, /best\.safetensors is a "resnet" checkpoint, not a "vit" one/);

  const vitFile = path.join(dir, 'vit.safetensors');
  const cfg: VitConfig = vit.config({ imageSize: 32, patchSize: 8, channels: 3, embedDim: 8, heads: 2, mlpDim: 8, layers: 1, classes: 10 });
  await saveModel(vitFile, cfg, vit.init(cfg, { seed: 0 }));
  const asResnet = await runTrainCifar(['--eval-only', '--model', 'resnet', '--checkpoint', vitFile, '--data-dir', data, '--backend', 'webasm']);
  t.not(asResnet.code, 0);
  t.is(asResnet.stderr.trim().split('\n').length, 1, asResnet.stderr);
  t.regex(asResnet.stderr, /vit\.safetensors is a "vit" checkpoint, not a "resnet" one/);

  const resumeAsVit = await runTrainCifar(['--resume', '--model', 'vit', '--data-dir', data, '--out-dir', path.join(dir, 'a')]);
  t.is(resumeAsVit.code, 2);
  t.regex(lastLine(resumeAsVit.stderr), /--model vit \(the run has resnet\) conflicts with the run stored in/);
});

test('a ViT flag on a ResNet run (and the reverse) is refused by name', async (t) => {
  const r = await runTrainCifar(['--model', 'resnet', '--embed-dim', '32', '--layers', '2', '--backend', 'webasm']);
  t.is(r.code, 2);
  t.regex(lastLine(r.stderr), /--embed-dim, --layers: not a ResNet flag; this run trains a resnet \(its flags: --width, --blocks\)/);
  const v = await runTrainCifar(['--width', '8', '--preset', 'quick', '--backend', 'webasm']);
  t.is(v.code, 2);
  t.regex(lastLine(v.stderr), /--width: not a ViT flag/);
});
