// The README's ```ts blocks are doc tests: each is a complete program, compiled by tsc 7 (strict)
// against the built package and then run with node, in the order written (test/support/readme-blocks.ts
// says which blocks count and how one opts out). A failure names the README line.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readmeBlocks } from './support/readme-blocks.js';
import { repoRoot } from './support/cifar-fixture.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const blocks = readmeBlocks(readme);
// inside the package, so `import ... from 'shaped-vit'` resolves to the built package itself
const dir = path.join(repoRoot, 'build/readme-blocks');
const name = (line: number) => `block-line-${line}`;

interface Run {
  code: number | null;
  output: string;
}
function run(file: string, args: string[], options: { cwd: string; timeout: number }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

test('the block extractor: ts blocks in order, other languages and opt-outs as marked', (t) => {
  const md = ['text', '```ts', 'const a = 1;', '```', '```sh', 'npm test', '```', '````ts no-test', 'const b: string = 1;', '```', '````', '```typescript', 'b', '```'].join('\n');
  t.deepEqual(readmeBlocks(md), [
    { line: 2, code: 'const a = 1;\n', tested: true },
    { line: 8, code: 'const b: string = 1;\n```\n', tested: false },
    { line: 12, code: 'b\n', tested: true },
  ]);
  t.true(blocks.filter((b) => b.tested).length >= 7, 'the README has its examples');
});

test('README commands that use the shared folder work from any directory: absolute paths that exist', (t) => {
  const commands = [...readme.matchAll(/(?:`|^\$ )((?:bash|node|sh) [^`\n]*shared\/[^`\n]*)/gm)].map((m) => m[1]);
  t.true(commands.length >= 3, commands.join('\n'));
  for (const command of commands) {
    const script = command.split(/\s+/)[1];
    t.true(path.isAbsolute(script), `${command}: a relative path works only from one directory`);
    if (existsSync('/work/shared')) t.true(existsSync(script), `${command}: ${script} does not exist`);
  }
});

test.serial('every README ts block compiles (tsc 7, strict) against the built package', async (t) => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const b of blocks) if (b.tested) writeFileSync(path.join(dir, `${name(b.line)}.ts`), b.code);
  const compilerOptions = { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2023'], types: ['node'], strict: true, skipLibCheck: true, rootDir: '.', outDir: 'out' };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
  const r = await run(path.join(repoRoot, 'node_modules/.bin/tsc'), ['-p', dir], { cwd: repoRoot, timeout: 300_000 });
  // block-line-L.ts(R,C) is README.md line L + R
  const errors = r.output.replace(/^build\/readme-blocks\/block-line-(\d+)\.ts\((\d+),(\d+)\)/gm, (_, l, row, col) => `README.md:${Number(l) + Number(row)}:${col}`);
  t.is(r.code, 0, errors);
});

for (const b of blocks.filter((b) => b.tested)) {
  test.serial(`README block at line ${b.line} runs as written`, async (t) => {
    // a fresh folder, so what a block writes lands nowhere near the checkout
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'shaped-vit-readme-'));
    try {
      const r = await run(process.execPath, [path.join(dir, 'out', `${name(b.line)}.js`)], { cwd, timeout: 600_000 });
      t.is(r.code, 0, `README.md line ${b.line}: exit ${r.code}\n${r.output.slice(-3000)}`);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
}
