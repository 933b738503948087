// Runs `step` 1,000 times and measures device memory and host heap after step 100 and at the end:
// a loop that keeps nothing it should not holds both flat.
import { memory, type MemoryInfo } from '../../src/index.js';

export async function memoryOver1000Steps(step: (s: number) => Promise<void>): Promise<{ baseline: MemoryInfo; end: MemoryInfo; heapGrowth: number }> {
  let baseline: MemoryInfo = { buffers: 0, bytes: 0, uploadedBytes: 0, readBytes: 0 };
  let heapAt100 = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let s = 1; s <= 1000; s++) {
    await step(s);
    if (s === 100) {
      baseline = await memory();
      gc?.();
      heapAt100 = process.memoryUsage().heapUsed;
    }
  }
  const end = await memory();
  gc?.();
  return { baseline, end, heapGrowth: process.memoryUsage().heapUsed - heapAt100 };
}
