// The run folder under crashes and contention, through the real CLI: a child killed (SIGKILL) at
// every boundary between the steps of a save leaves a folder that is either resumed to exactly the
// straight run's result or cleanly restarted; one folder is held by one process at a time.
import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { syntheticCifarDir } from './support/synthetic-cifar.js';
import { runTrainCifar, type CliRunOptions } from './support/cli-run.js';

const tiny = ['--embed-dim', '16', '--heads', '2', '--mlp-dim', '32', '--layers', '1', '--batch-size', '32', '--limit-train', '32', '--epochs', '2', '--backend', 'cpu'];

const run = (args: string[], env: Record<string, string> = {}, onStart?: (pid: number) => void, onStderr?: CliRunOptions['onStderr']) => runTrainCifar(args, { env, onStart, onStderr });

const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';
const scratch = () => mkdtemp(path.join(os.tmpdir(), 'shaped-vit-folder-'));

async function weights(file: string) {
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(await readFile(file)), file);
  const h = createHash('sha256');
  for (const [n, x] of tensors) h.update(n).update(new Uint8Array(x.data.buffer));
  return { tensors: h.digest('hex'), epoch: metadata.epoch, val: metadata.val_accuracy };
}

const metricsOf = async (dir: string) => (await readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; valAcc: number; trainLoss: number });

test('a kill at every boundary of the save sequence leaves a folder that resumes exactly or restarts cleanly', async (t) => {
  const data = await syntheticCifarDir();
  const root = await scratch();
  const straight = path.join(root, 'straight');
  const s = await run([...tiny, '--data-dir', data, '--out-dir', straight]);
  t.is(s.code, 0, s.stderr);
  const want = { last: await weights(path.join(straight, 'last.safetensors')), best: await weights(path.join(straight, 'best.safetensors')), metrics: (await metricsOf(straight)).map((m) => [m.epoch, m.trainLoss, m.valAcc]) };
  const outcomes: string[] = [];
  for (let n = 1; ; n++) {
    const dir = path.join(root, `kill-${n}`);
    const cut = await run([...tiny, '--data-dir', data, '--out-dir', dir], { SHAPED_VIT_KILL_AT: String(n) });
    if (cut.signal === null) {
      // n is past the last boundary: the run finished
      t.is(cut.code, 0, cut.stderr);
      t.true(n > 17, `only ${n - 1} boundaries`);
      break;
    }
    t.is(cut.signal, 'SIGKILL', `kill at ${n}: ${cut.stderr}`);
    const left = await readdir(dir);
    const torn = left.includes('metrics.jsonl') && !(await readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).endsWith('\n');
    let after = await run(['--resume', '--backend', 'cpu', '--data-dir', data, '--out-dir', dir]);
    let outcome = 'resumed';
    if (after.code === 2 && /no run to resume/.test(lastLine(after.stderr))) {
      // cleanly restartable: a fresh run takes the folder
      outcome = 'restarted';
      after = await run([...tiny, '--data-dir', data, '--out-dir', dir]);
    }
    outcomes.push(`${n}:${outcome}`);
    t.is(after.code, 0, `kill at ${n} (${left.join(' ')}), ${outcome}: ${after.stderr}`);
    t.regex(after.stderr, /taking over the lock of process \d+, which no longer runs/, `kill at ${n}`);
    if (torn && outcome === 'resumed') t.regex(after.stderr, /metrics\.jsonl:\d+ is a torn line .* it is dropped/, `kill at ${n}`);
    t.deepEqual((await readdir(dir)).sort(), ['best.safetensors', 'curves.svg', 'last.safetensors', 'last.train.safetensors', 'metrics.jsonl'], `kill at ${n}: no lock, no temp files`);
    t.deepEqual((await metricsOf(dir)).map((m) => [m.epoch, m.trainLoss, m.valAcc]), want.metrics, `kill at ${n}`);
    t.deepEqual(await weights(path.join(dir, 'last.safetensors')), want.last, `kill at ${n}: final weights`);
    t.deepEqual(await weights(path.join(dir, 'best.safetensors')), want.best, `kill at ${n}: best`);
  }
  t.true(outcomes.some((o) => o.endsWith('restarted')) && outcomes.some((o) => o.endsWith('resumed')), outcomes.join(' '));
});

test('a folder is held by one run: a second run or resume is refused naming the pid; a stale lock is taken over', async (t) => {
  const data = await syntheticCifarDir(128);
  const dir = path.join(await scratch(), 'run');
  let firstPid = 0;
  const first = run([...tiny.map((a, i) => (tiny[i - 1] === '--epochs' ? '400' : tiny[i - 1] === '--limit-train' ? '640' : a)), '--data-dir', data, '--out-dir', dir], {}, (pid) => (firstPid = pid));
  // wait for its first save, so that --resume has a run to find
  for (let i = 0; i < 600; i++) {
    if ((await readdir(dir).catch((): string[] => [])).includes('last.train.safetensors')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const second = await run([...tiny, '--data-dir', data, '--out-dir', dir]);
  t.is(second.code, 2, second.stderr);
  t.regex(lastLine(second.stderr), new RegExp(`^shaped-vit: .*run is in use by process ${firstPid} on ${hostname()} \\(since .*\\); wait for it to end or use another --out-dir$`));
  const resume = await run(['--resume', '--backend', 'cpu', '--data-dir', data, '--out-dir', dir]);
  t.is(resume.code, 2, resume.stderr);
  t.regex(lastLine(resume.stderr), new RegExp(`in use by process ${firstPid}`));
  process.kill(firstPid, 'SIGKILL');
  await first;
  // the lock of the killed run is stale: --resume takes it over with a line, and leftover temp files go
  await writeFile(path.join(dir, '.last.safetensors.999999.0123456789ab.tmp'), 'half a file');
  const resumed = await run(['--resume', '--backend', 'cpu', '--data-dir', data, '--out-dir', dir, '--epochs', '400', '--limit-train', '640'], {}, undefined, (stderr, child) => {
    if (/taking over the lock/.test(stderr)) child.kill('SIGTERM');
  });
  t.is(resumed.code, 143, resumed.stderr);
  t.regex(resumed.stderr, new RegExp(`taking over the lock of process ${firstPid}, which no longer runs`));
  t.false((await readdir(dir)).some((n) => n.endsWith('.tmp') || n === '.lock'), (await readdir(dir)).join(' '));
});
