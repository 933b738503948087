// The DSL's host on Node: settings from environment variables, scopes that follow async calls
// (AsyncLocalStorage), WebGPU from Dawn (npm `webgpu`).
import { AsyncLocalStorage } from 'node:async_hooks';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Platform, ScopeStore } from './platform.js';
import { probeNavigatorGpu, provideNavigatorGpu } from './webgpu-node.js';

function asyncLocalScopes<S>(): ScopeStore<S> {
  const store = new AsyncLocalStorage<S>();
  return { run: (scope, fn) => store.run(scope, fn), current: () => store.getStore() };
}

export const platform: Platform = {
  name: 'node',
  setting: (name) => process.env[name],
  provideWebGpu: provideNavigatorGpu,
  // Dawn writes to stderr as it starts: the default choice looks from a child process
  probeWebGpu: probeNavigatorGpu,
  // Node exposes software adapters (Mesa llvmpipe) that are slower than webasm
  defaultWebGpu: 'hardware',
  scopeStore: asyncLocalScopes,
  wasmMemoryLimit: null,
  cores: availableParallelism(),
  sharedMemoryWorker(source) {
    const prelude = "const { parentPort } = require('node:worker_threads');\nconst post = (m) => parentPort.postMessage(m);\nlet receive = () => undefined;\nparentPort.on('message', (m) => receive(m));\n";
    const worker = new Worker(prelude + source, { eval: true });
    return { post: (m) => worker.postMessage(m), onMessage: (h) => void worker.on('message', h), keepAlive: (alive) => (alive ? worker.ref() : worker.unref()) };
  },
};
