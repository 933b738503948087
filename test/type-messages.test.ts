// The sentences a shape mismatch prints: tsc 7 compiles each type-fixtures/*mismatches.ts (which
// imports the built package) and each line marked `// error: text` must fail with that text, and
// no other line may fail. (tsd's @ts-expect-error checks only that a line fails, not what it says.)
import test from 'ava';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = readdirSync(`${root}type-fixtures`).filter((f) => f.endsWith('mismatches.ts'));

for (const name of fixtures) test(`shape mismatches print the shape rule sentence at the offending line: ${name}`, async (t) => {
  const fixture = `type-fixtures/${name}`;
  const tsc = `${root}node_modules/.bin/tsc`;
  const args = ['--ignoreConfig', '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', fixture];
  const output = await promisify(execFile)(tsc, args, { cwd: root }).then(
    () => '',
    (e: { stdout: string }) => e.stdout,
  );
  // errors by line (1-based); continuation lines belong to the error above them
  const errors = new Map<number, string>();
  let line = 0;
  for (const text of output.split('\n')) {
    const head = /^type-fixtures\/[\w-]+\.ts\((\d+),\d+\): (.*)$/.exec(text);
    if (head) errors.set((line = Number(head[1])), (errors.get(line) ?? '') + head[2]);
    else if (line) errors.set(line, errors.get(line) + text);
  }
  const source = (await readFile(`${root}${fixture}`, 'utf8')).split('\n');
  const expected = new Map<number, string>();
  source.forEach((s, k) => {
    const m = /\/\/ error: (.*)$/.exec(s);
    if (m) expected.set(k + 2, m[1]);
  });
  t.true(expected.size >= 5);
  for (const [at, text] of expected) t.true(errors.get(at)?.includes(text), `line ${at}: expected "${text}", got: ${errors.get(at) ?? 'no error'}`);
  t.deepEqual([...errors.keys()].filter((at) => !expected.has(at)), [], 'unexpected errors');
});
