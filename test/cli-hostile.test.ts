// Hostile and broken inputs through the CLI: each gets one line starting with "shaped-vit:" that
// names the file or flag, a non-zero exit, and leaves the out-dir exactly as it was. The CLI runs
// with a 256 MB heap, so a regression that reads a hostile file without bound fails here (V8
// aborts) instead of eating the machine; hostile data dirs name the data as the last thing
// checked, so a refusal that mentions the checkpoint came before any data was read.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeSafetensors, encodeSafetensors, inspectSafetensors } from '../src/io/safetensors.js';
import { CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from '../src/data/cifar.js';
import { realCifarDir } from './support/cifar-fixture.js';
import { runTrainCifar, type CliRun, type CliRunOptions } from './support/cli-run.js';

const tiny = ['--embed-dim', '16', '--heads', '2', '--mlp-dim', '32', '--layers', '1', '--batch-size', '32', '--limit-train', '128', '--limit-test', '50', '--epochs', '2', '--backend', 'cpu'];

const run = (args: string[], opts: CliRunOptions = {}): Promise<CliRun> => runTrainCifar(args, { ...opts, nodeArgs: ['--max-old-space-size=256'] });

/** Names, sizes and contents of every file under `dir`, as one hash. */
async function hashTree(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, e.name);
      h.update(`${path.relative(dir, full)}\0`);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) h.update(await readFile(full));
    }
  };
  await walk(dir);
  return h.digest('hex');
}

const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';

/** Asserts a refusal: exit code, one `shaped-vit:` line matching `message`, no Dawn noise, the out-dir untouched. */
async function refused(t: import('ava').ExecutionContext, args: string[], outDir: string | null, message: RegExp, code = [1, 2]) {
  const before = outDir ? await hashTree(outDir) : '';
  const r = await run(args);
  t.true(code.includes(r.code ?? -1), `exit ${r.code}: ${r.stderr}`);
  t.regex(lastLine(r.stderr), /^shaped-vit: /);
  t.regex(lastLine(r.stderr), message);
  t.false(/Warning:|\n\s+at /.test(r.stderr), r.stderr);
  if (outDir) t.is(await hashTree(outDir), before, 'the out-dir is unchanged');
  return r;
}

const scratch = () => mkdtemp(path.join(os.tmpdir(), 'shaped-vit-hostile-'));
const missingData = ['--data-dir', '/nonexistent/cifar'];

/** A finished two-epoch run, made once; tests copy it before tampering. */
let runDirPromise: Promise<string> | null = null;
function finishedRun(): Promise<string> {
  runDirPromise ??= (async () => {
    const data = await realCifarDir();
    const dir = path.join(await scratch(), 'run');
    const r = await run([...tiny, '--data-dir', data, '--out-dir', dir]);
    if (r.code !== 0) throw new Error(r.stderr);
    return dir;
  })();
  return runDirPromise;
}

async function copyRun(): Promise<string> {
  const to = path.join(await scratch(), 'run');
  await cp(await finishedRun(), to, { recursive: true });
  return to;
}

/** Rewrites a safetensors file with changed metadata and/or tensors. */
async function rewrite(file: string, change: (m: Record<string, string>, tensors: Map<string, { shape: number[]; data: Float32Array }>) => void) {
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(await readFile(file)), file);
  change(metadata, tensors);
  await writeFile(file, encodeSafetensors([...tensors].map(([name, x]) => ({ name, ...x })), metadata));
}

const hasMkfifo = (() => {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('a checkpoint that is /dev/zero, a symlink to it, a FIFO or a folder is refused unread', async (t) => {
  const dir = await scratch();
  await symlink('/dev/zero', path.join(dir, 'zero.safetensors'));
  await refused(t, ['--eval-only', '--checkpoint', '/dev/zero', ...missingData], null, /safetensors file \/dev\/zero is a character device, not a regular file; refusing to read it$/);
  await refused(t, ['--eval-only', '--checkpoint', path.join(dir, 'zero.safetensors'), ...missingData], null, /zero\.safetensors is a character device, not a regular file; refusing to read it$/);
  await refused(t, ['--eval-only', '--checkpoint', dir, ...missingData], null, new RegExp(`${dir} is a folder, not a regular file`));
  if (hasMkfifo) {
    const fifo = path.join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    await refused(t, ['--eval-only', '--checkpoint', fifo, ...missingData], null, /pipe\.safetensors is a FIFO, not a regular file/);
  }
});

test('huge sparse checkpoints are refused by their header or size, before any data is read', async (t) => {
  const dir = await scratch();
  // 3 GiB of zeros: header length 0, so not JSON
  const zeros = path.join(dir, 'zeros.safetensors');
  await writeFile(zeros, '');
  await truncate(zeros, 3 * 2 ** 30);
  await refused(t, ['--eval-only', '--checkpoint', zeros, ...missingData], null, /zeros\.safetensors: header is not valid JSON/);
  // a valid header for a tiny model, then 3 GiB of nothing the header describes
  const run = await finishedRun();
  const padded = path.join(dir, 'padded.safetensors');
  await cp(path.join(run, 'best.safetensors'), padded);
  await truncate(padded, 3 * 2 ** 30);
  await refused(t, ['--eval-only', '--checkpoint', padded, ...missingData], null, /padded\.safetensors: the last \d+ bytes of the data section belong to no tensor/);
  // larger than any file the reader accepts
  const giant = path.join(dir, 'giant.safetensors');
  await writeFile(giant, '');
  await truncate(giant, 17 * 2 ** 30);
  await refused(t, ['--eval-only', '--checkpoint', giant, ...missingData], null, /giant\.safetensors is 18253611008 bytes, more than the 17179869184 this format allows/);
});

test('a checkpoint whose config claims a million layers is refused at once', async (t) => {
  const dir = await scratch();
  const file = path.join(dir, 'evil.safetensors');
  await cp(path.join(await finishedRun(), 'best.safetensors'), file);
  await rewrite(file, (m) => (m.config = JSON.stringify({ ...JSON.parse(m.config), num_layers: 1_000_000 })));
  await refused(t, ['--eval-only', '--checkpoint', file, ...missingData], null, /evil\.safetensors: __metadata__\.config\.num_layers is 1000000, above the limit 4096$/);
  await rewrite(file, (m) => (m.config = JSON.stringify({ ...JSON.parse(m.config), num_layers: 3000 })));
  await refused(t, ['--eval-only', '--checkpoint', file, ...missingData], null, /evil\.safetensors: the model config \(.*3000 layers.*\) needs \d+ bytes of weights, the file holds \d+$/);
});

test('NaN weights are refused on --eval-only and on --resume', async (t) => {
  const dir = await copyRun();
  await rewrite(path.join(dir, 'best.safetensors'), (_m, tensors) => (tensors.get('ln.weight')!.data[0] = NaN));
  await refused(t, ['--eval-only', '--out-dir', dir, ...missingData], dir, /best\.safetensors: weights are not finite \(NaN or Infinity\) in "ln\.weight" \(1 of 16 values\)/);
  // the training state holds the weights the run continues from
  await rewrite(path.join(dir, 'last.train.safetensors'), (m, tensors) => {
    tensors.get('params.classifier.bias')!.data[3] = Infinity;
    m.progress = JSON.stringify({ ...JSON.parse(m.progress), epoch: 1 });
  });
  await refused(t, ['--resume', '--backend', 'cpu', '--out-dir', dir, ...missingData], dir, /last\.train\.safetensors: weights are not finite .*"params\.classifier\.bias" \(1 of 10 values\)/);
});

test('a hostile progress record is refused before any file changes', async (t) => {
  const dir = await copyRun();
  const state = path.join(dir, 'last.train.safetensors');
  const original = await readFile(state);
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ epoch: -5 }, /progress record field epoch must be a non-negative integer, got -5/],
    [{ bestValAcc: null }, /progress record field bestValAcc must be a number in \[-1, 1\], got null/],
    [{ epoch: 1, partial: { stepInEpoch: 2, lossSum: 1, correct: 70, seen: 64, seconds: 1 } }, /partial\.correct 70 exceeds partial\.seen 64/],
    [{ run: '../../etc' }, /progress record has no valid run id/],
    [{ epoch: 99 }, /says 99 epochs are done, but the run has 2/],
  ];
  for (const [change, message] of cases) {
    await writeFile(state, original);
    await rewrite(state, (m) => (m.progress = JSON.stringify({ ...JSON.parse(m.progress), ...change })));
    await refused(t, ['--resume', '--backend', 'cpu', '--out-dir', dir, ...missingData], dir, new RegExp(`last\\.train\\.safetensors:? .*${message.source}`));
  }
});

test('--resume: conflicting flags are refused by name, before the data is read', async (t) => {
  const dir = await copyRun();
  await refused(t, ['--resume', '--out-dir', dir, '--epochs', '5', '--lr', '0.5', ...missingData], dir, /--resume: --epochs 5 \(the run has 2\); --lr 0\.5 \(the run has 0\.003\) conflict with the run stored in .*last\.train\.safetensors/);
  await refused(t, ['--resume', '--out-dir', dir, '--preset', 'seed', ...missingData], dir, /--preset seed \(sets --patch-size 8|--preset seed \(sets --embed-dim 384/);
  // the same value as stored is fine: it gets as far as the (missing) data
  await refused(t, ['--resume', '--backend', 'cpu', '--out-dir', dir, '--epochs', '2', '--embed-dim', '16', ...missingData], dir, /already finished its 2 epochs|--data-dir \/nonexistent\/cifar/, [0, 1]);
  await refused(t, ['--resume', '--out-dir', path.join(dir, 'nothing-here'), ...missingData], null, /--resume: no run to resume in .*nothing-here \(last\.train\.safetensors is missing\)/);
});

test('flags and the out-dir are checked before the backend or the data', async (t) => {
  const dir = await copyRun();
  await refused(t, [...tiny, '--out-dir', dir, ...missingData], dir, /run already holds a run \(last\.safetensors, best\.safetensors, last\.train\.safetensors, metrics\.jsonl\); use --resume or another --out-dir$/);
  await refused(t, [...tiny, '--out-dir', path.join(dir, 'metrics.jsonl'), ...missingData], dir, /--out-dir .*metrics\.jsonl exists and is not a folder$/);
  await refused(t, [...tiny, '--out-dir', '/dev/null/run', ...missingData], null, /--out-dir \/dev\/null\/run: \/dev\/null is not a folder$/);
  await refused(t, [...tiny, '--data-dir', ''], null, /--data-dir is empty; give a path or leave the flag out$/);
  await refused(t, [...tiny, '--out-dir', ''], null, /--out-dir is empty/);
  await refused(t, ['--eval-only', '--epochs', '3', ...missingData], null, /--epochs: --eval-only takes the model from the checkpoint; drop it$/);
});

test('--help: one "Usage:" and every preset\'s values', async (t) => {
  const r = await run(['--help']);
  t.is(r.code, 0);
  t.true(r.stdout.startsWith('Usage: shaped-vit train-cifar [flags]'));
  t.false(/usage:/i.test(r.stdout.slice(6)));
  t.regex(r.stdout, /\n +seed +quick +resnet\n/);
  t.regex(r.stdout, /\n  --embed-dim +384 +64 +64\n/);
  t.regex(r.stdout, /\n  --epochs +250 +40 +4\n/);
  t.regex(r.stdout, /\n  --layers +7 +3 +2\n/);
  t.regex(r.stdout, /\n  --width +8 +8 +8\n/);
});

test('a torn checkpoint pair resumes from the training state, says so, and ends as a straight run', async (t) => {
  const data = await realCifarDir();
  const straight = await finishedRun();
  // a run cut after its first epoch's training state was saved but before the model file was
  const dir = path.join(await scratch(), 'run');
  const cut = await run([...tiny.map((a, i) => (tiny[i - 1] === '--epochs' ? '1' : a)), '--data-dir', data, '--out-dir', dir]);
  t.is(cut.code, 0, cut.stderr);
  // re-label it a 2-epoch run at epoch 1, as the straight run was after epoch 1
  const state = path.join(dir, 'last.train.safetensors');
  const straightFirstEpoch = JSON.parse((inspectSafetensors(new Uint8Array(await readFile(path.join(straight, 'last.train.safetensors'))), 'x').metadata.progress));
  await rewrite(state, (m) => {
    const p = JSON.parse(m.progress);
    m.progress = JSON.stringify({ ...p, recipe: straightFirstEpoch.recipe });
  });
  await rewrite(path.join(dir, 'last.safetensors'), (m) => {
    m.epoch = '0';
    m.step = '0';
  });
  const resumed = await run(['--resume', '--backend', 'cpu', '--data-dir', data, '--out-dir', dir]);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /resumed from .*last\.train\.safetensors \(last\.safetensors is from epoch 0, step 0: a save was cut short; it is rewritten at the next save\): 1 epochs done/);
  const weights = async (d: string) => [...decodeSafetensors(new Uint8Array(await readFile(path.join(d, 'last.safetensors'))), d).tensors].map(([n, x]) => [n, [...x.data]]);
  t.deepEqual(await weights(dir), await weights(straight));
});

test('a broken CIFAR batch (/dev/zero, a FIFO, oversized) is refused unread', async (t) => {
  const data = path.join(await realCifarDir(), 'cifar-10-batches-bin');
  const dir = await scratch();
  const bad = path.join(dir, 'cifar-10-batches-bin');
  await mkdir(bad);
  for (const f of [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE, 'batches.meta.txt']) await symlink(path.join(data, f), path.join(bad, f)).catch(() => undefined);
  const swap = async (make: (p: string) => Promise<void>) => {
    const target = path.join(bad, 'data_batch_3.bin');
    await (await import('node:fs/promises')).rm(target, { force: true });
    await make(target);
  };
  const out = path.join(dir, 'out');
  await swap((p) => symlink('/dev/zero', p));
  await refused(t, [...tiny, '--data-dir', dir, '--out-dir', out], null, /CIFAR-10 batch .*data_batch_3\.bin is a character device, not a regular file; refusing to read it$/);
  await swap(async (p) => {
    await writeFile(p, '');
    await truncate(p, 40_000_000);
  });
  await refused(t, [...tiny, '--data-dir', dir, '--out-dir', out], null, /data_batch_3\.bin is 40000000 bytes, more than the 30730000 this format allows$/);
  if (hasMkfifo) {
    await swap(async (p) => {
      execFileSync('mkfifo', [p]);
    });
    await refused(t, [...tiny, '--data-dir', dir, '--out-dir', out], null, /data_batch_3\.bin is a FIFO, not a regular file/);
  }
});

test('choosing the default backend prints no Dawn warnings; SHAPED_VIT_DEBUG=0 means off', async (t) => {
  const out = path.join(await scratch(), 'run');
  for (const debug of [undefined, '0']) {
    const r = await run(['--out-dir', out, ...missingData], { env: debug === undefined ? {} : { SHAPED_VIT_DEBUG: debug } });
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, /^backend: /m);
    t.regex(lastLine(r.stderr), /^shaped-vit: --data-dir \/nonexistent\/cifar: no such file or folder/);
    // (with a hardware adapter WebGPU is the choice, and Dawn may speak)
    if (!/^backend: webgpu/m.test(r.stderr)) t.false(/Warning:|\n\s+at /.test(r.stderr), r.stderr);
  }
});
