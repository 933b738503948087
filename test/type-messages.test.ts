// The sentences a shape mismatch prints: tsc 7 compiles each type-fixtures/*mismatches.ts (which
// imports the built package) and each line marked `// error: text` must fail with that text, and
// no other line may fail. (tsd's @ts-expect-error checks only that a line fails, not what it says.)
import test from 'ava';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './support/cifar-fixture.js';
import { tscErrorsByLine } from './support/tsc-errors.js';

const fixtures = readdirSync(path.join(repoRoot, 'type-fixtures')).filter((f) => f.endsWith('mismatches.ts'));

for (const name of fixtures) test(`shape mismatches print the shape rule sentence at the offending line: ${name}`, async (t) => {
  const fixture = `type-fixtures/${name}`;
  const errors = await tscErrorsByLine(fixture);
  const source = (await readFile(path.join(repoRoot, fixture), 'utf8')).split('\n');
  const expected = new Map<number, string>();
  source.forEach((s, k) => {
    const m = /\/\/ error: (.*)$/.exec(s);
    if (m) expected.set(k + 2, m[1]);
  });
  t.true(expected.size >= 5);
  for (const [at, text] of expected) t.true(errors.get(at)?.includes(text), `line ${at}: expected "${text}", got: ${errors.get(at) ?? 'no error'}`);
  t.deepEqual([...errors.keys()].filter((at) => !expected.has(at)), [], 'unexpected errors');
});
