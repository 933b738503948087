// Real Chromium for tests: bundles a page with Vite under the `browser` conditions (as an app's
// bundler would), serves it cross-origin isolated (webasm threads need SharedArrayBuffer) and drives
// it with puppeteer-core. SHAPED_VIT_REQUIRE_BROWSER=1 (set by CI) turns a missing Chromium into a
// failure instead of a skip.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { build } from 'vite';
import { repoRoot } from './cifar-fixture.js';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const browserRequired = process.env.SHAPED_VIT_REQUIRE_BROWSER === '1';
export const chromiumPresent = existsSync(chromiumPath);

/** Chromium with WebGPU on its bundled SwiftShader (Vulkan path), offline, in a fresh profile. */
export const chromiumFlags = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--no-sandbox',
  '--headless=new',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-chromium-'));
  const browser = await puppeteer.launch({ executablePath: chromiumPath, headless: true, args: [...chromiumFlags, `--user-data-dir=${profile}`] });
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Bundles `entry` (a compiled .js under build/) into `outDir` as one ES module, `main.js`. The Node
 * entry src/index.js is swapped for src/core.js (what the package's `browser` export gives), and
 * `process.env.X` reads become the given constants.
 */
export async function bundleTestPage(entry: string, outDir: string, env: Record<string, string>): Promise<void> {
  const built = path.join(repoRoot, 'build');
  await build({
    configFile: false,
    logLevel: 'error',
    root: built,
    resolve: {
      alias: [
        { find: /^ava$/, replacement: path.join(built, 'test/browser/ava-shim.js') },
        { find: /^(\.\.\/)+src\/index\.js$/, replacement: path.join(built, 'src/core.js') },
      ],
    },
    define: Object.fromEntries(Object.entries(env).map(([k, v]) => [`process.env.${k}`, JSON.stringify(v)])),
    build: {
      outDir,
      emptyOutDir: true,
      target: 'esnext',
      minify: false,
      rolldownOptions: { input: entry, output: { entryFileNames: 'main.js', format: 'es' } },
    },
  });
}

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml' };

/**
 * Serves `dir` on localhost (and `/` as a page that loads main.js when dir has no index.html),
 * with the headers that make the page cross-origin isolated.
 */
export async function serveDir(dir: string, extra: Record<string, string> = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    const file = extra[url.pathname] ?? path.join(dir, url.pathname === '/' ? 'index.html' : path.normalize(url.pathname));
    try {
      const body = url.pathname === '/' && !existsSync(file) ? '<!doctype html><script type="module" src="/main.js"></script>' : await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': types[path.extname(file)] ?? (typeof body === 'string' ? 'text/html' : 'application/octet-stream') });
      res.end(body);
    } catch {
      res.writeHead(404, headers).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}
