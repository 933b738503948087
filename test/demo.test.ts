/// <reference lib="dom" />
// The demo page (`npm run demo`'s dev server) in real Chromium: it finds the CLI's CIFAR-10, trains
// a few steps on WebGPU, pauses, switches to WebAssembly and resumes, draws its curves, predictions
// and attention map (checked on a screenshot), downloads a checkpoint the CLI's loader reads, shows
// the same predictions as Node for a checkpoint saved by the CLI's writer, and reads a chosen
// cifar-10-binary.tar.gz in the tab.
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { startDemo } from '../demo/server.js';
import { argmax, constant, loadModel, presets, recipeConfig, saveModel, setBackend, vit } from '../src/index.js';
import { normalizeCHWRecord } from '../src/data/augment.js';
import { loadCifar10 } from '../src/data/cifar.js';
import { browserRequired, chromiumPath, chromiumPresent, launchChromium } from './support/browser.js';
import { realCifarDir } from './support/cifar-fixture.js';

const waitFor = (page: Page, what: string, fn: () => boolean, timeout = 300_000) =>
  page.waitForFunction(fn, { timeout, polling: 200 }).catch((e: Error) => {
    throw new Error(`demo page: timed out waiting for ${what} (${e.message.split('\n')[0]})`);
  });
const dataset = (page: Page) => page.evaluate(() => ({ ...document.body.dataset }));

/** Pixels of the screenshot inside an element's box that are close to `rgb`. */
async function pixelsNear(page: Page, png: string, selector: string, rgb: readonly [number, number, number]): Promise<number> {
  return page.evaluate(
    async (b64, sel, [r, g, b]) => {
      const image = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
      const box = document.querySelector(sel)!.getBoundingClientRect();
      const canvas = new OffscreenCanvas(image.width, image.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(image, 0, 0);
      const px = ctx.getImageData(box.left + scrollX, box.top + scrollY, box.width, box.height).data;
      let near = 0;
      for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b) < 60) near++;
      return near;
    },
    png,
    selector,
    rgb,
  );
}

if (!chromiumPresent) {
  if (browserRequired) test('Chromium is installed', (t) => t.fail(`SHAPED_VIT_REQUIRE_BROWSER=1 but ${chromiumPath} does not exist (apt-get install chromium)`));
  else test('demo page', (t) => t.pass(`skipped: no Chromium at ${chromiumPath}`));
} else {
  test('the demo trains in Chromium, switches backend, draws curves, predictions and attention, and exchanges checkpoints with the CLI', async (t) => {
    const cifarDir = await realCifarDir();
    const work = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-demo-'));
    const server = await startDemo({ port: 0, env: { ...process.env, CIFAR10_DIR: cifarDir } });
    const chromium = await launchChromium();
    t.teardown(async () => {
      await chromium.close();
      await server.close();
      await rm(work, { recursive: true, force: true });
    });
    const context = await chromium.browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: work } });
    const page = await context.newPage();
    await page.setViewport({ width: 1160, height: 920 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.resolvedUrls!.local[0]}?batches=1&evalEvery=2&evalCount=200`);
    await waitFor(page, 'CIFAR-10 and the model', () => !(document.getElementById('train') as HTMLButtonElement).disabled, 120_000);
    t.regex(await page.$eval('#data-status', (e) => e.textContent ?? ''), /10,000 training and 10,000 test images from the demo server/);
    t.regex(await page.$eval('#backend-info', (e) => e.textContent ?? ''), /^backend: webgpu \(/, 'WebGPU is the default when navigator.gpu has an adapter');

    await page.click('#train');
    await waitFor(page, '2 steps and an evaluation on WebGPU', () => Number(document.body.dataset.steps) >= 2 && Number(document.body.dataset.evals) >= 1);
    await page.click('#train');
    await waitFor(page, 'pause', () => document.body.dataset.phase === 'paused');
    const paused = Number((await dataset(page)).steps);
    await new Promise((r) => setTimeout(r, 1500));
    t.is(Number((await dataset(page)).steps), paused, 'no step while paused');

    await page.select('#backend', 'webasm');
    await waitFor(page, 'the switch to WebAssembly', () => document.body.dataset.backend === 'webasm');
    await page.click('#train');
    await waitFor(page, '2 more steps on WebAssembly', () => Number(document.body.dataset.steps) >= Number(document.body.dataset.resumeFrom ?? 0) + 2 && Number(document.body.dataset.evals) >= 2);
    await page.click('#train');
    await waitFor(page, 'pause', () => document.body.dataset.phase === 'paused');
    const after = await dataset(page);
    t.true(Number(after.steps) >= paused + 2, `resumed: ${paused} -> ${after.steps} steps`);
    t.regex(await page.$eval('#backend-info', (e) => e.textContent ?? ''), /^backend: webasm/);
    t.true(Number(await page.$eval('#loss-chart', (e) => (e as HTMLElement).dataset.points)) >= Number(after.steps) + 2, 'loss points: every step and each evaluation');
    t.is(await page.$$eval('.sample', (cells) => cells.filter((c) => /\w+\s*\w+/.test(c.textContent ?? '')).length), 16, '16 test images with predicted and true labels');
    t.is(await page.$eval('#attention-map', (e) => (e as HTMLElement).dataset.drawn), 'true');

    const png = Buffer.from(await page.screenshot({ fullPage: true })).toString('base64');
    if (process.env.SHAPED_VIT_DEMO_SCREENSHOT) await writeFile(process.env.SHAPED_VIT_DEMO_SCREENSHOT, Buffer.from(png, 'base64'));
    t.true((await pixelsNear(page, png, '#loss-chart', [0x09, 0x69, 0xda])) > 60, 'the screenshot shows the blue training-loss curve');
    t.true((await pixelsNear(page, png, '#accuracy-chart', [0xcf, 0x22, 0x2e])) > 20, 'the screenshot shows the red test-accuracy curve');
    t.true((await pixelsNear(page, png, '.sample.selected', [0x09, 0x69, 0xda])) > 40, 'the screenshot shows the selected image');

    // the page's checkpoint is read by the CLI's loader
    await page.click('#download');
    const name = `shaped-vit-demo-step${after.steps}.safetensors`;
    for (let waited = 0; !existsSync(path.join(work, name)) && waited < 60_000; waited += 200) await new Promise((r) => setTimeout(r, 200));
    t.true(existsSync(path.join(work, name)), `downloaded ${name} (have: ${(await readdir(work)).join(', ')})`);
    const downloaded = await loadModel(path.join(work, name));
    t.is(downloaded.cfg.embedDim, presets.quick.embedDim);
    t.is(downloaded.metadata.steps, String(after.steps));

    // a checkpoint written by the CLI's writer: the page predicts what Node predicts (both webasm)
    const cfg = recipeConfig(presets.quick);
    const cliCheckpoint = path.join(work, 'cli-model.safetensors');
    await saveModel(cliCheckpoint, cfg, vit.init(cfg, { seed: 7 }));
    const evalsBefore = Number((await dataset(page)).evals);
    await (await page.$('input#checkpoint'))!.uploadFile(cliCheckpoint);
    await page.waitForFunction((n) => document.body.dataset.checkpoint === 'cli-model.safetensors' && Number(document.body.dataset.evals) > n, { timeout: 300_000 }, evalsBefore);
    const inPage = await page.$$eval('.sample', (cells) => cells.map((c) => Number((c as HTMLElement).dataset.predicted)));
    setBackend('webasm');
    const { test: testSplit } = await loadCifar10(cifarDir);
    const images = new Float32Array(16 * 3072);
    for (let k = 0; k < 16; k++) normalizeCHWRecord(testSplit.images, k * 3072, images, k * 3072);
    const { params } = await loadModel(cliCheckpoint);
    const inNode = [...(await argmax(vit.apply(cfg, params, constant(images, [16, 3, 32, 32])), -1).data())];
    t.deepEqual(inPage, inNode, 'predictions of the CLI checkpoint, page vs Node');

    // the archive the CLI downloads, chosen on the page: gunzipped and untarred in the tab
    await (await page.$('input#archive'))!.uploadFile(path.join(cifarDir, 'cifar-10-binary.tar.gz'));
    await waitFor(page, 'the archive to be read', () => /from cifar-10-binary\.tar\.gz$/.test(document.getElementById('data-status')!.textContent ?? ''), 120_000);
    t.regex(await page.$eval('#data-status', (e) => e.textContent ?? ''), /50,000 training and 10,000 test images from cifar-10-binary\.tar\.gz/);
    t.deepEqual(errors, [], 'no page errors');
    await readFile(cliCheckpoint); // still there: the page only read it
  });
}
