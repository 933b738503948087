// WebAssembly relaxed SIMD for the command line and the benches: on by default in Chromium and
// newer Nodes, behind --experimental-wasm-relaxed-simd on Node 20. Turning the V8 flag on at run
// time (before the first kernel is compiled; workers started later share it) works for every way
// of starting us: `npm run train:cifar`, `node build/src/cli/main.js`, the bin, NODE_OPTIONS or not.
import { setFlagsFromString } from 'node:v8';
import { relaxedMaddValidates } from '../dsl/kernels/wasm-features.js';

/** Whether relaxed SIMD is available now; sets the V8 flag only where the engine has it off (an engine that ships it needs none). */
export function enableRelaxedSimd(): boolean {
  if (relaxedMaddValidates()) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedMaddValidates();
}
