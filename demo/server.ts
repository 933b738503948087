// `npm run demo [-- --data-dir DIR --port N --host H]`: Vite's dev server for the demo page,
// cross-origin isolated (webasm threads need SharedArrayBuffer), with the CIFAR-10 batch files the
// CLI would train on (--data-dir, CIFAR10_DIR, ~/.cache/shaped-vit) served under /cifar10/.
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServer, type Plugin, type ViteDevServer } from 'vite';
import { CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from '../src/data/cifar.js';
import { resolveCifar10 } from '../src/data/source.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const servedFiles = new Set<string>([...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE]);

export interface DemoOptions {
  readonly dataDir?: string;
  readonly port?: number;
  readonly host?: string;
  /** environment for CIFAR10_DIR and the cache location (default: process.env) */
  readonly env?: NodeJS.ProcessEnv;
}

/** GET /cifar10/<batch file>: the local CIFAR-10, found the way the CLI finds it (never downloaded here). */
function cifarFiles(options: DemoOptions): Plugin {
  let found: Promise<string> | null = null;
  return {
    name: 'shaped-vit-cifar10',
    configureServer(server) {
      server.middlewares.use('/cifar10/', (req, res) => {
        const name = decodeURIComponent((req.url ?? '').replace(/^\//, '').split('?')[0]);
        if (!servedFiles.has(name)) return void res.writeHead(404).end();
        found ??= resolveCifar10({ dataDir: options.dataDir, env: options.env, download: false }).then((r) => r.dir);
        found.then(
          (dir) => {
            res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
            createReadStream(path.join(dir, name)).on('error', () => res.destroy()).pipe(res);
          },
          (e: Error) => {
            found = null;
            res.writeHead(404, { 'Content-Type': 'text/plain' }).end(e.message);
          },
        );
      });
    },
  };
}

export async function startDemo(options: DemoOptions = {}): Promise<ViteDevServer> {
  const server = await createServer({
    configFile: false,
    root: path.join(repoRoot, 'demo/page'),
    logLevel: 'warn',
    // the page imports 'shaped-vit' as an app would; this is what the package's `browser` export gives
    resolve: { alias: { 'shaped-vit': path.join(repoRoot, 'build/src/core.js') } },
    optimizeDeps: { include: ['gpu.js', 'fp-ts/lib/function.js'] },
    server: {
      port: options.port ?? 5173,
      host: options.host ?? 'localhost',
      strictPort: options.port !== undefined,
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
      fs: { allow: [repoRoot] },
    },
    plugins: [cifarFiles(options)],
  });
  await server.listen();
  return server;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } } });
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new Error(`--port must be an integer in 0..65535, got ${values.port}`);
    const server = await startDemo({ dataDir: values['data-dir'], port, host: values.host });
    console.log(`shaped-vit demo: ${server.resolvedUrls?.local[0] ?? `port ${server.config.server.port}`}  (Ctrl-C stops)`);
  } catch (e) {
    console.error(`demo: ${(e as Error).message}`);
    process.exit(2);
  }
}
