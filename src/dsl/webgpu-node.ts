// Provides `navigator.gpu` in Node from Dawn (npm `webgpu`), which gpu.js's webgpu backend expects.
// A hardware adapter (Vulkan, Dawn's default) is preferred; on CPU-only machines Mesa's GL driver
// serves WebGPU in compatibility mode (needs EGL_PLATFORM=surfaceless and libegl-mesa0).
// Dawn prints warnings (no Vulkan, reduced limits) straight to stderr when it starts, so choosing
// a default backend probes in a child process: Dawn's output appears only when WebGPU is chosen
// or SHAPED_VIT_DEBUG=1.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { describeAdapter as describe, type AdapterReport } from './webgpu-adapter.js';

type RequestAdapter = (options?: Record<string, unknown>) => Promise<any>;

let provided: Promise<AdapterReport | null> | null = null;

async function tryInstance(flags: string[], extra: Record<string, unknown>): Promise<{ request: RequestAdapter; report: AdapterReport } | null> {
  const require = createRequire(import.meta.url);
  let webgpu: any;
  try {
    webgpu = require('webgpu');
  } catch {
    return null;
  }
  const instance = webgpu.create(flags);
  let adapter: any;
  try {
    adapter = await instance.requestAdapter(extra);
  } catch {
    return null;
  }
  if (!adapter) return null;
  Object.assign(globalThis, webgpu.globals);
  // hand the probed adapter to gpu.js's first request: a second Mesa GL adapter can fail to open
  // in a process that also runs headless-gl
  let probed: any = adapter;
  const request: RequestAdapter = async (options = {}) => {
    const first = probed;
    probed = null;
    return first ?? instance.requestAdapter({ ...options, ...extra });
  };
  return { request, report: describe(adapter) };
}

/** Installs navigator.gpu once; resolves to the adapter found, or null when Node has no WebGPU adapter. */
export function provideNavigatorGpu(): Promise<AdapterReport | null> {
  if (provided) return provided;
  provided = (async () => {
    const existing = (globalThis as any).navigator?.gpu;
    if (existing) {
      const adapter = await existing.requestAdapter();
      return adapter ? describe(adapter) : null;
    }
    process.env.EGL_PLATFORM ??= 'surfaceless';
    const chosen = dawnBackend(process.env.SHAPED_VIT_DAWN_BACKEND);
    const found = chosen
      ? await tryInstance([`backend=${chosen}`], chosen === 'vulkan' ? {} : { featureLevel: 'compatibility' })
      : ((await tryInstance([], {})) ?? (await tryInstance(['backend=opengl'], { featureLevel: 'compatibility' })));
    if (!found) return null;
    const gpu = { requestAdapter: found.request, getPreferredCanvasFormat: () => 'rgba8unorm' };
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return found.report;
  })();
  return provided;
}

const dawnBackends = ['vulkan', 'opengl', 'opengles'] as const;

/** SHAPED_VIT_DAWN_BACKEND: the one Dawn backend to use (unset: Vulkan, else OpenGL). */
function dawnBackend(value: string | undefined): (typeof dawnBackends)[number] | null {
  if (!value) return null;
  const b = dawnBackends.find((d) => d === value);
  if (!b) throw new Error(`SHAPED_VIT_DAWN_BACKEND: one of ${dawnBackends.join(', ')}, got '${value}'`);
  return b;
}

let probed: Promise<AdapterReport | null> | null = null;

/**
 * The adapter provideNavigatorGpu would find, without loading Dawn here (a child process looks,
 * its stderr discarded); with SHAPED_VIT_DEBUG=1, or once WebGPU is in use, it looks in-process.
 */
export function probeNavigatorGpu(): Promise<AdapterReport | null> {
  if (provided || debugEnabled() || (globalThis as any).navigator?.gpu) return provideNavigatorGpu();
  probed ??= new Promise((resolve) => {
    const script = `import { provideNavigatorGpu } from ${JSON.stringify(import.meta.url)};
      process.stdout.write(JSON.stringify(await provideNavigatorGpu())); process.exit(0);`;
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000, maxBuffer: 1 << 16 }, (err, stdout) => {
      try {
        const report = err ? null : JSON.parse(stdout);
        resolve(report && typeof report.description === 'string' ? { description: report.description, software: report.software === true } : null);
      } catch {
        resolve(null);
      }
    });
  });
  return probed;
}

/** SHAPED_VIT_DEBUG=1 (or true/yes) turns on diagnostics; unset, empty, 0, false or no mean off. */
export function debugEnabled(env: Record<string, string | undefined> = process.env): boolean {
  const v = (env.SHAPED_VIT_DEBUG ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false' && v !== 'no' && v !== 'off';
}
