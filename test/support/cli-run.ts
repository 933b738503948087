// Runs the built CLI's `train-cifar` in a child process and collects its output. Tests may watch
// stderr as it grows (to signal the child), learn its pid, and add env or node flags; a child
// still running after 120 s is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './cifar-fixture.js';

const cli = path.join(repoRoot, 'build/src/cli/main.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Record<string, string>;
  nodeArgs?: readonly string[];
  onStart?: (pid: number) => void;
  onStderr?: (text: string, child: ChildProcess) => void;
}

export function runTrainCifar(args: readonly string[], opts: CliRunOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), cli, 'train-cifar', ...args], { env: { ...process.env, FORCE_COLOR: '0', ...opts.env } });
    opts.onStart?.(child.pid!);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr, child);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
