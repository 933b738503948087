// node build/bench/dawn-adapter.js: the WebGPU adapter Dawn gives Node here, as one JSON line
// {"backend", "adapter", "software"} (adapter null: none). SHAPED_VIT_DAWN_BACKEND (vulkan, opengl,
// opengles) picks Dawn's backend; unset, Vulkan then OpenGL, as the webgpu backend does.
// bench/gpu-device.sh runs it per backend to tell a GPU adapter from a CPU one.
import { provideNavigatorGpu } from '../src/dsl/webgpu-node.js';

const backend = process.env.SHAPED_VIT_DAWN_BACKEND || 'default';
try {
  const report = await provideNavigatorGpu();
  console.log(JSON.stringify({ backend, adapter: report?.description ?? null, software: report?.software ?? null }));
} catch (e) {
  console.log(JSON.stringify({ backend, adapter: null, software: null, error: String((e as Error).message ?? e) }));
}
process.exit(0);
