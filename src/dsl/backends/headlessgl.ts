// headlessgl: gpu.js's WebGL mode on the headless-gl package (software on CPU-only machines).
import type { BackendOf } from '../backend.js';
import { GPU, gpujsBackend } from './gpujs.js';

export async function createHeadlessgl(): Promise<BackendOf['headlessgl'] | null> {
  if (!GPU.isHeadlessGLSupported) return null;
  const { base } = gpujsBackend('headlessgl', { description: 'headlessgl', software: false, asyncCalls: false, hostMemory: false });
  return { ...base, name: 'headlessgl' };
}
