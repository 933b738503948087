// Early, named refusals through the CLI: what cannot work is refused before the data is read or
// any training starts, in one line naming the flag or file (and both sides of a mismatch).
import test from 'ava';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { vit, type VitConfigInput } from '../src/vit/index.js';
import { saveModel } from '../src/vit/checkpoint-file.js';
import { repoRoot } from './support/cifar-fixture.js';
import { syntheticCifarDir } from './support/synthetic-cifar.js';

const cli = path.join(repoRoot, 'build/src/cli/main.js');
const tiny = ['--embed-dim', '16', '--heads', '2', '--mlp-dim', '32', '--layers', '1', '--batch-size', '32', '--limit-train', '64', '--epochs', '1', '--backend', 'cpu'];
const data = syntheticCifarDir(32);
/** tiny with some flags' values replaced. */
const tinyWith = (over: Record<string, string>) => tiny.map((a, i) => over[tiny[i - 1]] ?? a);
const scratch = () => mkdtemp(path.join(os.tmpdir(), 'shaped-vit-early-'));
const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';

function run(args: string[], cwd = repoRoot): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'train-cifar', ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('--eval-only --checkpoint FILE without --out-dir evaluates FILE and never looks in runs/<preset>', async (t) => {
  const dir = await scratch();
  const trained = await run([...tiny, '--data-dir', await data, '--out-dir', path.join(dir, 'run')]);
  t.is(trained.code, 0, trained.stderr);
  const elsewhere = await scratch(); // a working folder without runs/
  const r = await run(['--eval-only', '--checkpoint', path.join(dir, 'run', 'best.safetensors'), '--backend', 'cpu', '--data-dir', await data], elsewhere);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /"n":32,"accuracy":/);
});

test('a checkpoint for other images or classes is refused naming both', async (t) => {
  const file = path.join(await scratch(), 'other.safetensors');
  const input: VitConfigInput = { imageSize: 64, patchSize: 16, channels: 3, embedDim: 16, heads: 2, mlpDim: 16, layers: 1, classes: 100 };
  const cfg = vit.config(input);
  await saveModel(file, cfg, vit.init(cfg, { seed: 0 }));
  const r = await run(['--eval-only', '--checkpoint', file, '--backend', 'cpu', '--data-dir', '/nonexistent/cifar']);
  t.is(r.code, 2, r.stderr);
  t.regex(lastLine(r.stderr), /^shaped-vit: .*other\.safetensors: the model takes 64x64 images with 3 channels and 100 classes; CIFAR-10 has 32x32 images with 3 channels and 10 classes$/);
});

test('--resume on other data is refused naming what changed; --allow-data-change continues and says so', async (t) => {
  const dir = path.join(await scratch(), 'run');
  const two = tiny.map((a, i) => (tiny[i - 1] === '--epochs' ? '2' : a));
  let sent = false;
  const dataDir = await data;
  const first = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [cli, 'train-cifar', ...two, '--data-dir', dataDir, '--out-dir', dir], { env: { ...process.env, FORCE_COLOR: '0' } });
    child.stdout.on('data', (d) => {
      if (!sent && String(d).includes('Epoch: 1/2')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', resolve);
  });
  t.true(first === 130 || first === 0, `exit ${first}`);
  const other = await syntheticCifarDir(32, 1);
  const refused = await run(['--resume', '--backend', 'cpu', '--data-dir', other, '--out-dir', dir]);
  if (first === 0) return t.regex(lastLine(refused.stderr), /already finished/);
  t.is(refused.code, 2, refused.stderr);
  t.regex(lastLine(refused.stderr), /^shaped-vit: --resume: the data changed since the run started: data_batch_1\.bin differs, .*test_batch\.bin differs \(the run was trained on .*, this is .*\); pass --allow-data-change to continue on this data$/);
  const allowed = await run(['--resume', '--allow-data-change', '--backend', 'cpu', '--data-dir', other, '--out-dir', dir]);
  t.is(allowed.code, 0, allowed.stderr);
  t.regex(allowed.stdout + allowed.stderr, /--allow-data-change: continuing on changed data: data_batch_1\.bin differs/);
});

test('flags that cannot work are refused before any data is read, naming the flag', async (t) => {
  const out = path.join(await scratch(), 'run');
  const missing = ['--data-dir', '/nonexistent/cifar'];
  const layers = await run([...tinyWith({ '--layers': '100000' }), '--out-dir', out, ...missing]);
  t.is(layers.code, 2);
  t.regex(lastLine(layers.stderr), /--layers: 100000 is above the maximum 4096/);
  const wide = await run([...tinyWith({ '--embed-dim': '65536', '--heads': '1' }), '--out-dir', out, ...missing]);
  t.is(wide.code, 2);
  t.regex(lastLine(wide.stderr), /^shaped-vit: this model at --batch-size 32 needs an estimated [\d.]+ GB \(weights and gradients .*, optimizer state .*, activations .*\), more than the [\d.]+ GB of memory available; lower --embed-dim, --mlp-dim or --layers$/);
  const deep = await run([...tinyWith({ '--layers': '4096', '--batch-size': '4096' }), '--out-dir', out, ...missing]);
  t.is(deep.code, 2);
  t.regex(lastLine(deep.stderr), /this model at --batch-size 4096 needs an estimated .* lower --batch-size$/);
  // an out-dir that cannot be written is refused before the (missing) data is looked for
  const proc = await run([...tiny, '--out-dir', '/proc/shaped-vit-run', ...missing]);
  t.is(proc.code, 2, proc.stderr);
  t.regex(lastLine(proc.stderr), /^shaped-vit: cannot create --out-dir \/proc\/shaped-vit-run: /);
  // limits beyond the data are named by flag
  const limit = await run([...tinyWith({ '--limit-train': '60000' }), '--data-dir', await data, '--out-dir', out]);
  t.is(limit.code, 2, limit.stderr);
  t.regex(lastLine(limit.stderr), /--limit-train 60000 is above the 160 training records in /);
});

test('three problems on one command line are reported together, one line each, before any data is read', async (t) => {
  // a record with label 200: loading this data would be refused, so the problems come before it is read
  const dir = await syntheticCifarDir(32);
  const batch = path.join(dir, 'cifar-10-batches-bin', 'data_batch_1.bin');
  const bytes = await readFile(batch);
  bytes[0] = 200;
  await writeFile(batch, bytes);
  const args = [...tinyWith({ '--embed-dim': '65536', '--heads': '1', '--limit-train': '60000' }), '--allow-data-change', '--data-dir', dir, '--out-dir', path.join(await scratch(), 'run')];
  const r = await run(args);
  t.is(r.code, 2, r.stderr);
  const problems = r.stderr.split('\n').filter((l) => l.startsWith('shaped-vit: '));
  t.is(problems.length, 3, r.stderr);
  t.regex(problems[0], /^shaped-vit: --allow-data-change goes with --resume$/);
  t.regex(problems[1], /^shaped-vit: this model at --batch-size 32 needs an estimated .* lower --embed-dim, --mlp-dim or --layers$/);
  t.regex(problems[2], /^shaped-vit: --limit-train 60000 is above the 160 training records in .*cifar-10-batches-bin$/);
  t.notRegex(r.stdout, /#Parameter/);
  // without the other two, the bad record is found when the data is read
  const read = await run([...tiny, '--data-dir', dir, '--out-dir', path.join(await scratch(), 'run')]);
  t.is(read.code, 1, read.stderr);
  t.regex(lastLine(read.stderr), /data_batch_1\.bin: record 0 has label 200/);
});

test('a safetensors header nested 100,000 deep is refused by its depth, naming the file', async (t) => {
  const file = path.join(await scratch(), 'deep.safetensors');
  const depth = 100_000;
  const json = Buffer.from(`{"x":{"dtype":"F32","shape":${'['.repeat(depth)}${']'.repeat(depth)},"data_offsets":[0,0]}}`);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  await writeFile(file, Buffer.concat([length, json]));
  const r = await run(['--eval-only', '--checkpoint', file, '--data-dir', '/nonexistent/cifar']);
  t.is(r.code, 1, r.stderr);
  t.regex(lastLine(r.stderr), /^shaped-vit: .*deep\.safetensors: header JSON nests deeper than 64 levels; refusing it$/);
  t.truthy(await readFile(file));
});

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

for (const backend of ['cpu', 'webasm']) {
  test(`the CLI starts and trains on ${backend} under \`prlimit --as=16G\` (one WebAssembly memory, made when first needed, shared by every kernel)`, async (t) => {
    if (!hasPrlimit) return t.pass('prlimit is not installed');
    const out = path.join(await scratch(), 'run');
    // each WebAssembly memory reserves ~10 GiB of address space: two made at import (cpu), or one
    // per gpu.js kernel (webasm, the default without a GPU), ended the run in a RangeError
    const { stdout, stderr } = await promisify(execFile)('prlimit', [`--as=${16 * 2 ** 30}`, process.execPath, cli, 'train-cifar', ...tinyWith({ '--backend': backend }), '--data-dir', await data, '--out-dir', out], { timeout: 300_000 });
    t.regex(stderr, new RegExp(`^backend: ${backend} `, 'm'));
    t.regex(stdout, /Epoch: 1\/1 /);
  });
}
