// The thread team's dispatch (src/dsl/kernels/wasm-threads.ts): every part of every run ends before
// the run does, whether it reached its worker by message or through the worker's slot of the
// control block, right after another run or after the worker went back to its messages; and a part
// that traps on a worker fails its run with a clear error, not a hang, and the team goes on working.
import test from 'ava';
import { FunctionBody, moduleBytes } from '../src/dsl/kernels/wasm-emit.js';
import { heapArrays } from '../src/dsl/kernels/wasm-arrays.js';
import { maxPages, threadTeam, type KernelPart } from '../src/dsl/kernels/wasm-threads.js';

const team = threadTeam();
const arrays = heapArrays();
const withTeam = team && arrays ? test.serial : test.serial.skip;

// run(address, value): stores the i32 `value` at byte `address`
const store = () => moduleBytes(new FunctionBody(2).get(0).get(1).i32Store(), 'run', maxPages);
const part = (key: string, address: number, value: number): KernelPart => ({ key, emit: store, args: [address, value] });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

withTeam('each part of each run has ended when the run does: runs back to back, and after the workers went back to their messages', async (t) => {
  const size = team!.size;
  const cells = arrays!.take(4 * size)!;
  const words = new Int32Array(cells.buffer, cells.byteOffset, size);
  try {
    for (let round = 1; round <= 300; round++) {
      await team!.run(Array.from({ length: size }, (_, k) => part('store', cells.byteOffset + 4 * k, round * 10 + k)));
      t.deepEqual(Array.from(words), Array.from({ length: size }, (_, k) => round * 10 + k), `round ${round}`);
      // now and then longer than a worker waits on its slot (20 ms): the next part goes by message
      if (round % 50 === 0) await sleep(40);
    }
    // a module new to the workers while they wait on their slots
    await team!.run(Array.from({ length: size }, (_, k) => part('store again', cells.byteOffset + 4 * k, 100 - k)));
    t.deepEqual(Array.from(words), Array.from({ length: size }, (_, k) => 100 - k));
  } finally {
    arrays!.give(cells);
  }
});

withTeam('a part that traps on a worker fails its run with an error naming its kernel, through the slot or by message, and the team goes on', async (t) => {
  const size = team!.size;
  const cells = arrays!.take(4 * size)!;
  const words = new Int32Array(cells.buffer, cells.byteOffset, size);
  // past the end of the memory as it is (2 GiB at most, far less used here)
  const outside = 2 ** 31 - 64;
  const parts = (bad: boolean) => Array.from({ length: size }, (_, k) => part('store', k > 0 && bad ? outside : cells.byteOffset + 4 * k, 5));
  try {
    await team!.run(parts(false));
    // right after a run: through the slot; after 40 ms: by message
    for (const pause of [0, 40]) {
      await sleep(pause);
      await t.throwsAsync(team!.run(parts(true)), { message: /kernel part failed on a worker \(store\)/ }, `after ${pause} ms`);
      words.fill(0);
      await team!.run(parts(false));
      t.deepEqual(Array.from(words), Array.from({ length: size }, () => 5));
    }
  } finally {
    arrays!.give(cells);
  }
});
