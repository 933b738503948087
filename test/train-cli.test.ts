// `shaped-vit train-cifar` as a user runs it: flag errors, invalid models, resume after Ctrl-C
// continuing exactly, corrupt checkpoints, eval-only.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFile, writeFile, mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { realCifarDir, repoRoot } from './support/cifar-fixture.js';
import { decodeSafetensors } from '../src/io/safetensors.js';

const cli = path.join(repoRoot, 'build/src/cli/main.js');
const tiny = ['--embed-dim', '16', '--heads', '2', '--mlp-dim', '32', '--layers', '1', '--batch-size', '32', '--limit-train', '256', '--limit-test', '100', '--epochs', '2', '--backend', 'cpu', '--augment', 'flip-crop'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'train-cifar', ...args], { env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';
const epochLines = (s: string) => s.split('\n').filter((l) => l.startsWith('Epoch:'));

test('bad flags exit 2 with one line per problem, each naming its flag', async (t) => {
  const unknown = await run(['--embed-dimm', '8']);
  t.is(unknown.code, 2);
  t.regex(lastLine(unknown.stderr), /embed-dimm.*embed-dim/);
  const bad = await run(['--batch-size', 'many']);
  t.is(bad.code, 2);
  t.regex(lastLine(bad.stderr), /batch-size/);
  // every problem at once, one line each
  const many = await run(['--embed-dimm', '8', '--batch-size', 'many', '--lr', '-1', '--backend', 'cuda', '--epochs', '0', '--layers', '0', '--heads', '0', '--seed', 'x']);
  t.is(many.code, 2);
  const lines = many.stderr.trim().split('\n');
  const flags = ['embed-dimm', 'batch-size', 'lr', 'backend', 'epochs', 'layers', 'heads', 'seed'];
  t.is(lines.length, flags.length);
  for (const [i, flag] of flags.entries()) t.regex(lines[i], new RegExp(`^shaped-vit: .*--${flag}\\b`), flag);
});

test('an invalid model from flags gets the divisibility message and exit 2', async (t) => {
  const r = await run(['--embed-dim', '384', '--heads', '7', '--patch-size', '5', '--backend', 'cpu']);
  t.is(r.code, 2);
  t.regex(lastLine(r.stderr), /patchSize 5 does not divide imageSize 32; embedDim 384 is not divisible by heads 7/);
});

test('a diverging loss stops the run with a message and a non-zero exit', async (t) => {
  const data = await realCifarDir();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-nan-'));
  const r = await run([...tiny, '--lr', '1e12', '--warmup-epochs', '0', '--data-dir', data, '--out-dir', dir]);
  t.is(r.code, 1);
  t.regex(lastLine(r.stderr), /loss became (NaN|-?Infinity) at epoch 1/);
});

test('Ctrl-C saves; --resume continues exactly where it stopped', async (t) => {
  const data = await realCifarDir();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-cli-'));
  const straight = await run([...tiny, '--data-dir', data, '--out-dir', path.join(dir, 'a')]);
  t.is(straight.code, 0, straight.stderr);
  t.regex(straight.stdout.split('\n')[0], /^#Parameter: \d+$/);
  t.is(epochLines(straight.stdout).length, 2);

  // interrupt during epoch 2 (after epoch 1's line appears), then resume
  let sent = false;
  const cut = await run([...tiny, '--data-dir', data, '--out-dir', path.join(dir, 'b')], (out, child) => {
    if (!sent && out.includes('Epoch: 1/2')) {
      sent = true;
      setTimeout(() => child.kill('SIGINT'), 300);
    }
  });
  t.true(cut.code === 130 || cut.code === 0, cut.stderr);
  // the recipe comes back from the checkpoint: no flag needs repeating
  const resumed = await run(['--backend', 'cpu', '--data-dir', data, '--out-dir', path.join(dir, 'b'), '--resume']);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /^resumed from .*last\.safetensors \+ last\.train\.safetensors: [12] epochs? done, optimizer step \d+; continuing at /m);
  const strip = (l: string) => l.replace(/Time: [\d.]+/, '');
  t.deepEqual(epochLines(cut.stdout + resumed.stdout).map(strip), epochLines(straight.stdout).map(strip));
  // the same weights bit for bit (the files differ only in their run ids)
  const weights = async (d: string) => {
    const { tensors, metadata } = decodeSafetensors(await readFile(path.join(dir, d, 'last.safetensors')), d);
    return { tensors: [...tensors].map(([name, x]) => [name, Buffer.from(x.data.buffer).toString('base64')]), epoch: metadata.epoch, step: metadata.step };
  };
  t.deepEqual(await weights('b'), await weights('a'), 'final weights are identical');

  // a fresh run refuses to overwrite an existing run
  const again = await run([...tiny, '--data-dir', data, '--out-dir', path.join(dir, 'a')]);
  t.is(again.code, 2);
  t.regex(lastLine(again.stderr), /already holds a run/);

  // eval-only reports the accuracy of the best checkpoint
  const ev = await run(['--eval-only', '--data-dir', data, '--out-dir', path.join(dir, 'a'), '--limit-test', '100', '--backend', 'cpu']);
  t.is(ev.code, 0, ev.stderr);
  t.regex(ev.stdout, /"n":100,"accuracy":/);

  // resuming a finished run says so
  const finished = await run([...tiny, '--data-dir', data, '--out-dir', path.join(dir, 'a'), '--resume']);
  t.is(finished.code, 0, finished.stderr);
  t.regex(lastLine(finished.stderr), /already finished its 2 epochs/);

  // a truncated training state is a one-line error and leaves the file as it was
  const last = path.join(dir, 'a', 'last.train.safetensors');
  const bytes = await readFile(last);
  await writeFile(last, bytes.subarray(0, bytes.length - 10));
  const broken = await run([...tiny, '--data-dir', data, '--out-dir', path.join(dir, 'a'), '--resume']);
  t.not(broken.code, 0);
  t.regex(lastLine(broken.stderr), /^shaped-vit: .*last\.train\.safetensors/);
  t.is((await stat(last)).size, bytes.length - 10);
});

test('Ctrl-C during validation of the last epoch stops at once and --resume finishes it', async (t) => {
  const data = await realCifarDir();
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-cli-')), 'run');
  const oneEpoch = [...tiny.map((a, i) => (tiny[i - 1] === '--epochs' ? '1' : tiny[i - 1] === '--limit-test' ? '10000' : a))];
  let sent = false;
  const child = spawn(process.execPath, [cli, 'train-cifar', ...oneEpoch, '--data-dir', data, '--out-dir', dir], { env: { ...process.env, FORCE_COLOR: '0' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    // off a terminal the progress says when validation starts
    if (!sent && stderr.includes('epoch 1/1 evaluating on 10000 test images')) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  t.true(sent, stderr);
  t.is(code, 130, stderr);
  t.regex(lastLine(stderr), /^shaped-vit: stopped \(SIGINT\): saved epoch 1 after its training steps, before validation to .*last\.safetensors; continue with --resume$/);
  t.deepEqual(epochLines(stdout), []);
  const resumed = await run(['--backend', 'cpu', '--data-dir', data, '--out-dir', dir, '--resume']);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /continuing at epoch 1 at step 8\/8/);
  t.is(epochLines(resumed.stdout).length, 1);
  t.is((await readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').length, 1);
});
