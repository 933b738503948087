// Optional WebAssembly features the generated kernels use when the engine has them, found out by
// validating a tiny module (not by engine name or version), with the plain-SIMD code as the fallback.
import { platform } from '#platform';
import { FunctionBody, moduleBytes, v128 } from './wasm-emit.js';

// lib es2023 and @types/node 20 declare no WebAssembly (lib.dom does); the part used here:
declare const WebAssembly: { validate(bytes: Uint8Array): boolean };

/** Whether this engine, now, accepts `f32x4.relaxed_madd` (relaxed SIMD). */
export function relaxedMaddValidates(): boolean {
  const f = new FunctionBody(0);
  const result = f.local(v128);
  f.v128Zero().v128Zero().v128Zero().f32x4RelaxedMadd().set(result);
  return WebAssembly.validate(moduleBytes(f, 'run'));
}

let relaxed: boolean | undefined;

/**
 * Whether kernels emit relaxed SIMD (`f32x4.relaxed_madd` for a * b + c): when the engine has it
 * (Chromium; Node 20 only with --experimental-wasm-relaxed-simd, which the CLI and benches turn on)
 * and SHAPED_VIT_RELAXED_SIMD is not 0. Decided at the first kernel emitted, then fixed for the process.
 */
export function relaxedSimd(): boolean {
  relaxed ??= platform.setting('SHAPED_VIT_RELAXED_SIMD') !== '0' && relaxedMaddValidates();
  return relaxed;
}
