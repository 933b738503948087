// shaped-vit in real Chromium (WebGPU on SwiftShader's Vulkan device, and webasm): the shared op
// checks bundled for the page, and quick-ViT training steps compared with Node's on the same backend
// kind. Without Chromium the file is skipped, except under SHAPED_VIT_REQUIRE_BROWSER=1 (CI).
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import type { TestPage } from './browser/page.js';
import { backendsUnderTest } from './support/backends.js';
import { browserRequired, bundleTestPage, chromiumPath, chromiumPresent, launchChromium, serveDir } from './support/browser.js';
import { repoRoot } from './support/cifar-fixture.js';
import { quickTrainLosses } from './support/quick-train.js';
import { bundleBrowser } from '../tools/bundle-browser.js';

declare const shapedVitTestPage: TestPage;
const pageBackends = ['webgpu', 'webasm'] as const;

if (!chromiumPresent) {
  if (browserRequired) test('Chromium is installed', (t) => t.fail(`SHAPED_VIT_REQUIRE_BROWSER=1 but ${chromiumPath} does not exist (apt-get install chromium)`));
  else test('browser tests', (t) => t.pass(`skipped: no Chromium at ${chromiumPath}`));
} else {
  let page: Page;
  let browser: Browser;
  const cleanup: Array<() => Promise<void>> = [];

  test.before(async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-page-'));
    cleanup.push(() => rm(out, { recursive: true, force: true }));
    // both page backends are required: a missing one fails its tests instead of being skipped
    const backends = pageBackends.join(',');
    await bundleTestPage(path.join(repoRoot, 'build/test/browser/page.js'), out, { SHAPED_VIT_REQUIRE_BACKENDS: backends, SHAPED_VIT_TEST_BACKENDS: backends });
    const server = await serveDir(out);
    cleanup.push(server.close);
    const chromium = await launchChromium();
    cleanup.unshift(chromium.close);
    browser = chromium.browser;
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(server.url);
    await page.waitForFunction(() => 'shapedVitTestPage' in globalThis, { timeout: 120_000 }).catch(() => {
      throw new Error(`the test page did not load: ${errors.join('; ') || 'no page error'}`);
    });
  });
  test.after.always(async () => {
    for (const close of cleanup) await close();
  });

  test.serial('the page is cross-origin isolated, has WebGPU and webasm, and defaults to WebGPU', async (t) => {
    const seen = await page.evaluate(async () => ({
      isolated: shapedVitTestPage.crossOriginIsolated(),
      available: await shapedVitTestPage.availableBackends(),
      chosen: await shapedVitTestPage.backendDescription(),
    }));
    t.log(`default backend in Chromium: ${seen.chosen}`);
    t.true(seen.isolated, 'webasm threads need SharedArrayBuffer');
    for (const b of pageBackends) t.true(seen.available.includes(b), `${b} in ${seen.available}`);
    t.regex(seen.chosen, /^webgpu /);
  });

  test.serial('a plain <script type="module"> page, no bundler, runs the one-file bundle (npm run build:browser) on both backends', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-plain-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await bundleBrowser(dir);
    const script = `
      import { backend, fromTypedArray, matmul, setBackend } from './shaped-vit.js';
      const result = { default: (await backend()).name };
      for (const name of ['webgpu', 'webasm']) {
        setBackend(name);
        const a = fromTypedArray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
        const b = fromTypedArray(new Float32Array([1, 0, 0, 1, 1, 1]), [3, 2]);
        result[name] = [...(await matmul(a, b).data())];
      }
      globalThis.plainPageResult = result;`;
    await writeFile(path.join(dir, 'index.html'), `<!doctype html><script type="module">${script}</script>`);
    const server = await serveDir(dir);
    cleanup.push(server.close);
    const plain = await browser.newPage();
    await plain.goto(server.url);
    await plain.waitForFunction(() => 'plainPageResult' in globalThis, { timeout: 120_000 });
    t.deepEqual(await plain.evaluate(() => (globalThis as { plainPageResult?: unknown }).plainPageResult), { default: 'webgpu', webgpu: [4, 5, 10, 11], webasm: [4, 5, 10, 11] });
    await plain.close();
  });

  for (const name of pageBackends) {
    test.serial(`[chromium ${name}] every op: forward vs float64 reference, gradient vs finite differences`, async (t) => {
      const outcomes = await page.evaluate((n) => shapedVitTestPage.runOpChecks(n), name);
      const titles = await page.evaluate(() => shapedVitTestPage.opCheckTitles());
      t.log(`${outcomes.length} op checks in ${(outcomes.reduce((s, o) => s + o.ms, 0) / 1000).toFixed(1)} s`);
      t.is(outcomes.length, titles.filter((x) => x.startsWith(`[${name}] `)).length);
      t.true(outcomes.length >= 50, `only ${outcomes.length} op checks ran`);
      t.deepEqual(outcomes.filter((o) => !o.ok).map((o) => `${o.title}: ${o.failures.join('; ')}`), []);
    });
  }

  // Same code, same backend kind: webasm runs the same WebAssembly (bit-identical here); WebGPU runs
  // on different drivers (SwiftShader Vulkan in Chromium, Dawn on Mesa GL or a GPU in Node).
  const tolerance = { webasm: 1e-6, webgpu: 1e-4 } as const;
  for (const name of pageBackends) {
    test.serial(`[chromium ${name}] 3 quick-ViT training steps lower the loss and match Node's to ${tolerance[name]} (relative)`, async (t) => {
      const inPage = await page.evaluate((n) => shapedVitTestPage.quickTrainLosses(n, 3), name);
      t.log(`losses in Chromium: ${inPage.join(', ')}`);
      t.true(inPage[2] < inPage[0] - 0.5, 'the loss goes down');
      if (!backendsUnderTest.includes(name)) return t.log(`Node has no ${name} backend here: not compared`);
      const inNode = await quickTrainLosses(name, 3);
      t.log(`losses in Node:     ${inNode.join(', ')}`);
      for (const [k, v] of inNode.entries()) t.true(Math.abs(inPage[k] - v) <= tolerance[name] * Math.abs(v), `step ${k + 1}: ${inPage[k]} vs ${v}`);
    });
  }
}
