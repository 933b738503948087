// cpu: gpu.js's JavaScript mode; kernel maps give a thread several outputs.
import type { CpuBackend } from '../backend.js';
import { gpujsBackend } from './gpujs.js';

export async function createCpu(): Promise<CpuBackend> {
  const { base, gpu, wrap, cached, launched, sized } = gpujsBackend('cpu', { description: 'cpu (gpu.js JavaScript)', software: false, asyncCalls: false, hostMemory: true });
  return {
    ...base,
    name: 'cpu',
    runMap(spec, extra, args) {
      return sized(spec.length, args, async (args) => {
        launched();
        const outs = Array.from({ length: extra }, (_, j) => `function out${j + 1}(v) { return v; }`);
        const kernel = cached(`map ${extra}`, spec, args, (settings) => gpu.createKernelMap(outs, spec.source, { ...settings, output: [spec.length / (extra + 1)] }));
        const out = await kernel(...args.map((a) => a.raw));
        return wrap(concat([out.result, ...Array.from({ length: extra }, (_, j) => out[j])], spec.length), spec.length);
      });
    },
  };
}

function concat(parts: readonly Float32Array[], length: number): Float32Array {
  const flat = new Float32Array(length);
  let at = 0;
  for (const p of parts) {
    flat.set(p, at);
    at += p.length;
  }
  if (at !== length) throw new Error(`internal: kernel produced ${at} values, expected ${length}`);
  return flat;
}
