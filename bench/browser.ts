// npm run bench:browser -- [--configs quick,small] [--backends webgpu,webasm] [--batch 128] [--steps 3] [--warmup 1] [--json] [--rows] [--adam FLOATS]
// The measurement of `npm run bench` (bench/measure.ts) inside headless Chromium: WebGPU on its
// SwiftShader Vulkan device (software here; a GPU's driver on a desktop), or webasm. The page is
// bundled and served like the browser tests (test/support/browser.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseFlags } from '../src/cli/flags.js';
import { bundleTestPage, chromiumPath, launchChromium, serveDir } from '../test/support/browser.js';
import { repoRoot } from '../test/support/cifar-fixture.js';
import type { ConfigName, measure } from './measure.js';
import type { rowTimings } from './rows.js';
import type { adamTimings } from './adam-update.js';

const spec = {
  configs: { type: 'string', default: 'quick', help: 'comma-separated: quick, small, seed' },
  backends: { type: 'string', default: 'webgpu,webasm', help: 'comma-separated page backends' },
  batch: { type: 'int', default: 128, min: 1, help: 'batch size' },
  steps: { type: 'int', default: 3, min: 1, help: 'timed steps' },
  warmup: { type: 'int', default: 1, min: 0, help: 'untimed steps first (kernel compilation)' },
  json: { type: 'bool', help: 'one JSON line per result' },
  rows: { type: 'bool', help: "instead: webgpu's row statistics kernels, ours vs gpu.js's (bench/rows.ts) at --batch, --steps rounds" },
  adam: { type: 'int', default: 0, min: 0, help: "instead: a flat AdamW update of this many floats, our elementwise kernels vs gpu.js's (bench/adam-update.ts), --steps rounds" },
} as const;

declare const shapedVitBench: { measure: typeof measure; rowTimings: typeof rowTimings; adamTimings: typeof adamTimings };

const parsed = parseFlags(spec, process.argv.slice(2));
if (parsed.help) process.exit(0);
const f = parsed.flags;
const out = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-bench-page-'));
await bundleTestPage(path.join(repoRoot, 'build/bench/browser-page.js'), out, {});
const server = await serveDir(out);
const chromium = await launchChromium();
try {
  const page = await chromium.browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => 'shapedVitBench' in globalThis, { timeout: 120_000 });
  const version = await chromium.browser.version();
  if (f.rows) for (const line of await page.evaluate((...a) => shapedVitBench.rowTimings(...a), f.steps, f.batch)) console.log(line);
  if (f.adam) for (const line of await page.evaluate((...a) => shapedVitBench.adamTimings(...a), f.steps, f.adam)) console.log(line);
  for (const name of f.rows || f.adam ? [] : (f.configs.split(',') as ConfigName[])) {
    for (const b of f.backends.split(',')) {
      const res = await page.evaluate((...a) => shapedVitBench.measure(...a), name, b as 'webgpu', f.batch, f.steps, f.warmup, false);
      const line = { ...res, browser: `${version} (${chromiumPath})` };
      if (f.json) console.log(JSON.stringify(line));
      else console.log(`${res.config.padEnd(6)} chromium ${b.padEnd(8)} batch ${res.batch}: train ${res.train_ms_per_step} ms/step (${res.train_img_per_s} img/s), forward ${res.forward_ms} ms (${res.forward_img_per_s} img/s)`);
    }
  }
} finally {
  await chromium.close();
  await server.close();
  await rm(out, { recursive: true, force: true });
}
