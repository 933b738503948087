// The DSL's host in a browser (or a web worker): no settings, scopes on a stack (see
// scope-stack.ts), WebGPU from the page's own `navigator.gpu`.
import type { Platform } from './platform.js';
import { scopeStack } from './scope-stack.js';
import { describeAdapter } from './webgpu-adapter.js';

export const platform: Platform = {
  name: 'browser',
  setting: () => undefined,
  async provideWebGpu() {
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
    const adapter = await gpu?.requestAdapter().catch(() => null);
    return adapter ? describeAdapter(adapter) : null;
  },
  probeWebGpu() {
    return this.provideWebGpu();
  },
  // the adapter a browser hands out is the one it means pages to use
  defaultWebGpu: 'any',
  scopeStore: scopeStack,
  // Chromium 150 refuses the 124th live WebAssembly.Memory of a page (each reserves its guard
  // region inside V8's sandbox); the rest is headroom for memories not yet garbage-collected
  wasmMemoryLimit: 96,
  cores: (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1,
  sharedMemoryWorker(source) {
    const g = globalThis as { crossOriginIsolated?: boolean; Worker?: new (url: string) => BrowserWorker; Blob?: new (parts: string[]) => object; URL: { createObjectURL(blob: object): string } };
    if (!g.crossOriginIsolated || !g.Worker || !g.Blob) return null;
    const prelude = 'const post = (m) => self.postMessage(m);\nlet receive = () => undefined;\nself.onmessage = (e) => receive(e.data);\n';
    const worker = new g.Worker(g.URL.createObjectURL(new g.Blob([prelude + source])));
    return { post: (m) => worker.postMessage(m), onMessage: (h) => worker.addEventListener('message', (e) => h(e.data)), keepAlive: () => undefined };
  },
};

interface BrowserWorker {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', handler: (e: { data: unknown }) => void): void;
}
