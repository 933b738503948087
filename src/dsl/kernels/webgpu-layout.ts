// webgpu's layout kernels where the data moves as whole runs: a slice or concat whose axis has only
// extents of 1 before it is one contiguous run per input, so it is buffer copies (one command
// encoder, one submit, no kernel: a parameter tree raveled into one vector, or unraveled back).
// Other slices and concats run the portable kernels.
import type { BackendLowering } from '../kernel-table.js';
import { portableLowering } from '../primitive.js';
import type { SliceAttrs } from '../ops/layout.js';
import { packedRun } from './webgpu-packed.js';

/** Floats per index of `axis`, when the axes before it all have extent 1 (else null: runs are strided). */
function contiguousStep(shape: readonly number[], axis: number): number | null {
  if (shape.slice(0, axis).some((d) => d !== 1)) return null;
  return shape.slice(axis + 1).reduce((p, d) => p * d, 1);
}

export const webgpuSlice: BackendLowering<'webgpu', SliceAttrs> = (out, [x], { axis, start }) => {
  const portable = portableLowering(out);
  const step = contiguousStep(x.shape, axis);
  if (step === null) return portable;
  const spec = { length: out.size, runs: [{ source: 0, from: start * step, to: 0, count: out.size }] };
  return packedRun((backend, args) => backend.runCopies(spec, args), portable);
};

export const webgpuConcat: BackendLowering<'webgpu', number> = (out, inputs, axis) => {
  const portable = portableLowering(out);
  if (contiguousStep(out.shape, axis) === null) return portable;
  let at = 0;
  const runs = inputs.map((x, source) => ({ source, from: 0, to: (at += x.size) - x.size, count: x.size }));
  return packedRun((backend, args) => backend.runCopies({ length: out.size, runs }, args), portable);
};
