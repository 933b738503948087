// Signals and closed pipes, through the real CLI: SIGINT, SIGTERM and SIGHUP each save a resumable
// position once and exit non-zero with one line; a second signal quits at once; a stdout/stderr
// whose reader is gone (EPIPE) never stops training.
import test from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { inspectSafetensors } from '../src/io/safetensors.js';
import { repoRoot } from './support/cifar-fixture.js';
import { syntheticCifarDir } from './support/synthetic-cifar.js';
import { runTrainCifar } from './support/cli-run.js';

const cli = path.join(repoRoot, 'build/src/cli/main.js');
// 20 steps an epoch, far more epochs than a test waits for
const long = ['--embed-dim', '16', '--heads', '2', '--mlp-dim', '32', '--layers', '1', '--batch-size', '32', '--limit-train', '640', '--epochs', '400', '--backend', 'cpu'];
const data = syntheticCifarDir(128);
const scratch = async () => path.join(await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-signals-')), 'run');
const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';
const progress = async (dir: string) => JSON.parse(inspectSafetensors(new Uint8Array(await readFile(path.join(dir, 'last.train.safetensors'))), 'x').metadata.progress);

/** Runs the CLI; `when` sees stderr as it grows and may signal the child. */
const run = (args: string[], when: (stderr: string, child: ChildProcess) => void) => runTrainCifar(args, { onStderr: when });

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  test(`${signal} saves a resumable position once and exits ${code} with one line`, async (t) => {
    const dir = await scratch();
    let sent = false;
    const r = await run([...long, '--data-dir', await data, '--out-dir', dir], (stderr, child) => {
      if (!sent && /epoch 1\/400 \[#+\.*\] [2-9]\/20/.test(stderr)) {
        sent = true;
        child.kill(signal);
      }
    });
    t.is(r.code, code, r.stderr);
    t.regex(lastLine(r.stderr), new RegExp(`^shaped-vit: stopped \\(${signal}\\): saved epoch 1 at step \\d+/20 to .*last\\.safetensors; continue with --resume$`));
    t.is(r.stderr.split('\n').filter((l) => l.startsWith('shaped-vit:')).length, 1);
    const p = await progress(dir);
    t.is(p.epoch, 0);
    t.true(p.partial.stepInEpoch >= 2, JSON.stringify(p));
    t.false((await readdir(dir)).includes('.lock'));
  });
}

test('a second signal quits at once without saving', async (t) => {
  const dir = await scratch();
  let sent = 0;
  const r = await run([...long, '--data-dir', await data, '--out-dir', dir], (stderr, child) => {
    if (sent === 0 && /epoch 1\/400 \[#+\.*\] [2-9]\/20/.test(stderr)) {
      sent = 1;
      child.kill('SIGTERM');
    } else if (sent === 1 && /SIGTERM: saving the current position/.test(stderr)) {
      // (two signals sent back to back may arrive as one: the second follows the first's line)
      sent = 2;
      child.kill('SIGTERM');
    }
  });
  t.is(r.code, 143, r.stderr);
  t.regex(r.stderr, /second SIGTERM: quitting without saving/);
  // a folder the run made and left empty is removed with its lock (no save came before the quit)
  t.false((await readdir(dir).catch(() => [] as string[])).includes('.lock'), 'the lock is released on the way out');
});

test('a stdout and stderr whose reader is gone (`| head -c1`) do not stop training', async (t) => {
  const dir = await scratch();
  const rc = path.join(path.dirname(dir), 'rc');
  const args = [...long.map((a, i) => (long[i - 1] === '--epochs' ? '3' : a)), '--data-dir', await data, '--out-dir', dir];
  const quoted = [process.execPath, cli, 'train-cifar', ...args].map((a) => `'${a}'`).join(' ');
  const { stdout } = await promisify(execFile)('bash', ['-c', `${quoted} 2>&1 | head -c1; echo "\${PIPESTATUS[0]}" > '${rc}'`]);
  t.is(stdout.length, 1);
  t.is((await readFile(rc, 'utf8')).trim(), '0', 'the run finished with exit 0');
  t.is((await readFile(path.join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').length, 3);
  t.is((await progress(dir)).epoch, 3);
});

test('with both pipes closed, SIGTERM still saves and a resume continues', async (t) => {
  const dir = await scratch();
  const child = spawn(process.execPath, [cli, 'train-cifar', ...long, '--data-dir', await data, '--out-dir', dir], { env: { ...process.env, FORCE_COLOR: '0' } });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stderr.once('data', () => {
    child.stdout.destroy();
    child.stderr.destroy();
  });
  for (let i = 0; i < 1200 && !(await readdir(dir).catch((): string[] => [])).includes('metrics.jsonl'); i++) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  t.is(await closed, 143);
  const p = await progress(dir);
  t.true(p.epoch >= 1, JSON.stringify(p));
  const resumed = await run(['--resume', '--epochs', '400', '--backend', 'cpu', '--data-dir', await data, '--out-dir', dir], (stderr, c) => {
    if (/resumed from|epoch \d+\/400 \[/.test(stderr)) c.kill('SIGINT');
  });
  t.is(resumed.code, 130, resumed.stderr);
  t.regex(resumed.stdout + resumed.stderr, /resumed from .*last\.safetensors \+ last\.train\.safetensors/);
});
