// The project's own WGSL compute kernels, on gpu.js's shared WebGPU device: they bind gpu.js's
// buffers and return gpu.js buffer handles (WebGPUBufferResult), so gpu.js kernels read our results
// and ours read theirs, all in one queue's order. Our commands (dispatches, buffer copies) are
// recorded into one command encoder that is submitted when anything else is about to use the
// queue or destroy a buffer (`flush`, which the backend calls first): a run of them costs one
// submit, not one each (a raveled parameter vector cut back into 94 tensors: one).
import gpujs from 'gpu.js';
import type { CopySpec, WgslLimits, WgslSpec } from '../backend.js';

// exported by gpu.js 2.24 (Node and browser builds) though absent from its typings
const { WebGPUContext, WebGPUBufferResult } = gpujs as unknown as { WebGPUContext: any; WebGPUBufferResult: any };

// GPUBufferUsage and GPUMapMode bits (the globals exist only once Dawn or a browser provides them)
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const STORAGE = 0x80;

export interface WgslRunner {
  /** the device's limits, for choosing tile sizes */
  readonly limits: WgslLimits;
  /** runs `spec` over the device buffers of `handles`: gpu.js handles of its results, `spec.length` floats each */
  run(spec: WgslSpec, handles: readonly any[]): any[];
  /** copies the runs of `spec` out of the device buffers of `handles`; resolves to a gpu.js handle of `spec.length` floats */
  copy(spec: CopySpec, handles: readonly any[]): any;
  /** submits the commands recorded so far (none: nothing happens); whatever else uses the queue or destroys a buffer calls it first */
  flush(): void;
}

/** `submitted` is called once per submit of our commands. */
export async function wgslRunner(submitted: () => void): Promise<WgslRunner> {
  const context = await WebGPUContext.acquire();
  const device = context.device;
  const pipelines = new Map<string, any>();
  const pipelineOf = (source: string) => {
    let p = pipelines.get(source);
    if (!p) pipelines.set(source, (p = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: source }), entryPoint: 'main' } })));
    return p;
  };
  // reads a handle back the way gpu.js's own readBufferResult does: copy, map, slice
  const reader = {
    async readBufferResult(handle: any): Promise<Float32Array> {
      if (context.isLost) throw new Error('WebGPU device was lost; this buffer no longer holds data');
      const bytes = handle.output[0] * 4;
      const staging = device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(handle.buffer, 0, staging, 0, bytes);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(MAP_READ, 0, bytes);
      const values = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
      staging.unmap();
      staging.destroy();
      return values;
    },
  };
  let pending: any = null;
  // buffers only the pending commands use, destroyed once they are submitted
  const scratch: any[] = [];
  const recording = () => (pending ??= device.createCommandEncoder());
  // a storage binding must not be empty
  const output = (length: number) => device.createBuffer({ size: Math.max(4, length * 4), usage: STORAGE | COPY_SRC | COPY_DST });
  const handle = (buffer: any, length: number) => new WebGPUBufferResult({ buffer, output: [length], componentCount: 1, context, kernel: reader });
  return {
    limits: device.limits,
    run(spec, handles) {
      const pipeline = pipelineOf(spec.source);
      const results = Array.from({ length: spec.results ?? 1 }, () => output(spec.length));
      const packed = spec.packed ?? [];
      const encoder = recording();
      const bound = handles.filter((_, k) => !packed.includes(k)).map((h) => h.buffer);
      if (packed.length) {
        // the one-float arguments side by side in one buffer, copied in the commands' order
        const scalars = output(packed.length);
        packed.forEach((a, k) => encoder.copyBufferToBuffer(handles[a].buffer, 0, scalars, k * 4, 4));
        bound.push(scalars);
        // destroyed once the commands that read it are done (WebGPU defers it past submitted work)
        scratch.push(scalars);
      }
      const entries = [...bound, ...results].map((b, binding) => ({ binding, resource: { buffer: b } }));
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
      pass.dispatchWorkgroups(...spec.workgroups);
      pass.end();
      return results.map((b) => handle(b, spec.length));
    },
    copy(spec, handles) {
      const buffer = output(spec.length);
      const encoder = recording();
      for (const r of spec.runs) if (r.count > 0) encoder.copyBufferToBuffer(handles[r.source].buffer, r.from * 4, buffer, r.to * 4, r.count * 4);
      return handle(buffer, spec.length);
    },
    flush() {
      if (!pending) return;
      device.queue.submit([pending.finish()]);
      pending = null;
      for (const b of scratch.splice(0)) b.destroy();
      submitted();
    },
  };
}
