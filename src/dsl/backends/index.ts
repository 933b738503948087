// Backends by name: each is made by its own module, or is null where this machine cannot run it.
import type { BackendName, BackendOf } from '../backend.js';
import { createCpu } from './cpu.js';
import { createHeadlessgl } from './headlessgl.js';
import { createWebasm } from './webasm.js';
import { createWebgpu } from './webgpu.js';

const factories: { readonly [N in BackendName]: () => Promise<BackendOf[N] | null> } = {
  webgpu: createWebgpu,
  headlessgl: createHeadlessgl,
  webasm: createWebasm,
  cpu: createCpu,
};

/** Creates a backend, or returns null when this machine cannot run it. */
export function createBackend<N extends BackendName>(name: N): Promise<BackendOf[N] | null> {
  return factories[name]();
}
