// Runs `step` 1,000 times and measures device memory and host heap after step 100 and at the end:
// a loop that keeps nothing it should not holds both flat.
import { memory, type MemoryInfo } from '../../src/index.js';

/** What is held on the device now (memory() also counts cumulative traffic, which only grows). */
export type Held = Pick<MemoryInfo, 'buffers' | 'bytes'>;
export const held = (m: MemoryInfo): Held => ({ buffers: m.buffers, bytes: m.bytes });

export async function memoryOver1000Steps(step: (s: number) => Promise<void>): Promise<{ baseline: Held; end: Held; heapGrowth: number }> {
  let baseline: Held = { buffers: 0, bytes: 0 };
  let heapAt100 = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let s = 1; s <= 1000; s++) {
    await step(s);
    if (s === 100) {
      baseline = held(await memory());
      gc?.();
      heapAt100 = process.memoryUsage().heapUsed;
    }
  }
  const end = held(await memory());
  gc?.();
  return { baseline, end, heapGrowth: process.memoryUsage().heapUsed - heapAt100 };
}
