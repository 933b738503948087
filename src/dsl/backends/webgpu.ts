// webgpu: gpu.js's WebGPU mode on the platform's adapter; kernels may write 2 or 4 floats per thread.
import { platform } from '#platform';
import type { Storage, WebgpuBackend } from '../backend.js';
import { gpujsBackend } from './gpujs.js';
import { wgslRunner } from './wgsl.js';

export async function createWebgpu(): Promise<WebgpuBackend | null> {
  const adapter = await platform.provideWebGpu();
  if (!adapter) return null;
  const description = `webgpu (${adapter.description}${adapter.software ? ', software' : ''})`;
  const { base, gpu, wrap, cached, resident, launched, sized } = gpujsBackend('webgpu', { description, software: adapter.software, asyncCalls: true, hostMemory: false });
  // after gpu.js's backend exists: both share the device gpu.js acquires
  const wgsl = await wgslRunner(launched);
  // our recorded commands are submitted before gpu.js uses the queue (a kernel, an upload, a read)
  // and before a buffer they may use is destroyed (a pipeline takes and gives host values only)
  const flushed =
    <A extends unknown[], R>(f: (...a: A) => R) =>
    (...a: A): R => (wgsl.flush(), f(...a));
  const release = (storage: Storage) => {
    if (storage.refs === 1) wgsl.flush();
    base.release(storage);
  };
  return {
    ...base,
    name: 'webgpu',
    run: flushed(base.run),
    upload: flushed(base.upload),
    read: flushed(base.read),
    release,
    flush: () => wgsl.flush(),
    // on every adapter: a gpu.js pipeline reads all its results back to the host and takes host
    // arguments (parameters and optimizer state would cross both ways every step), and runs only
    // gpu.js kernels; one by one, state stays in device buffers and our WGSL kernels run
    jitPipelines: false,
    runPacked(spec, width, args) {
      return sized(spec.length, args, async (args) => {
        wgsl.flush();
        launched();
        const cells = Math.ceil(spec.length / width);
        const kernel = cached(`packed ${width}`, spec, args, (settings) => gpu.createKernel(spec.source, { ...settings, output: [cells] }));
        // host values (a pipeline's results) are uploaded first, as for run(): a kernel compiled for
        // device buffers misreads a host array as a buffer of another device
        const packed = await kernel(...(await Promise.all(args.map(resident))));
        if (packed.componentCount !== width) throw new Error(`internal: a packed kernel returned ${packed.componentCount} floats per thread, not ${width}`);
        // the same buffer seen as flat floats, which later kernels read like any storage (gpu.js
        // refuses vector results as arguments, though a vector buffer is laid out as its floats)
        const flat = packed.clone();
        flat.componentCount = 1;
        flat.output = [spec.length];
        packed.delete();
        return wrap(flat, spec.length);
      });
    },
    wgslLimits: wgsl.limits,
    // SwiftShader runs the tiled kernel far slower than gpu.js's: Chromium's demo test took over
    // 300 s for its WebGPU steps with it and 76 s without (shared machine); Mesa runs it 1.1-3.2x faster
    tiledMatmul: !/swiftshader/i.test(adapter.description),
    // a CPU runs a workgroup's barriers as thread switches: our row kernels took 4-14x gpu.js's
    // one-thread-per-row time on Mesa (1-2x with 4 threads a row), 4-260x on SwiftShader (bench/rows.ts, README)
    rowKernels: !adapter.software,
    // our elementwise kernels on every adapter: a flat AdamW update of the seed ViT's 6.3M floats as
    // one kernel with three results took 0.70x gpu.js's kernels' time on Mesa, 0.59x on SwiftShader
    // (bench/adam-update.ts, README); tests and that bench turn it off to run gpu.js's
    elementwiseKernels: true,
    runWgsl(spec, args) {
      return sized(spec.length, args, async (args) => wrap(wgsl.run(spec, await Promise.all(args.map(resident)))[0], spec.length), release);
    },
    async runWgslResults(spec, args) {
      const results = spec.results ?? 1;
      if (spec.length === 0) return Array.from({ length: results }, () => wrap(new Float32Array(0), 0));
      if (args.some((a) => a.length === 0)) throw new Error('internal: a WGSL kernel with several results read an empty argument');
      return wgsl.run(spec, await Promise.all(args.map(resident))).map((h) => wrap(h, spec.length));
    },
    runCopies(spec, args) {
      return sized(spec.length, args, async (args) => wrap(wgsl.copy(spec, await Promise.all(args.map(resident))), spec.length), release);
    },
  };
}
