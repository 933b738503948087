// webgpu's row statistics (softmax, layerNorm and their gradients, rows.ts): one thread per row
// computes all of the row's statistics at once and returns them as a vector, where the portable
// kernel runs one thread per statistic, each repeating its row's passes.
import type { RowStatsCompiler } from '../kernel-table.js';
import { portableRowStats } from '../rows.js';
import { packedRun } from './webgpu-packed.js';

export const webgpuRowStats: RowStatsCompiler<'webgpu'> = (kernel, args) => {
  if (kernel.width === 1) return null;
  const width = kernel.width;
  const spec = { source: kernel.source(args, true), length: kernel.rows * width };
  return packedRun((backend, storage) => backend.runPacked(spec, width, storage), portableRowStats(kernel, args));
};
