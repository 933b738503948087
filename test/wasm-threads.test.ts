// The thread team (src/dsl/kernels/wasm-threads.ts): every chunk of every kernel runs exactly once
// and has ended when the kernel does, whether the kernel reached a worker by message or through its
// slot of the control block, right after another kernel or after the worker went back to its
// messages; the workers take chunks too; and a chunk that traps on a worker fails its kernel with
// a clear error, not a hang, and the team goes on working.
import test from 'ava';
import { FunctionBody, moduleBytes } from '../src/dsl/kernels/wasm-emit.js';
import { heapArrays } from '../src/dsl/kernels/wasm-arrays.js';
import { maxPages, threadTeam, type KernelChunk } from '../src/dsl/kernels/wasm-threads.js';

const team = threadTeam();
const arrays = heapArrays();
const withTeam = team && arrays ? test.serial : test.serial.skip;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Chunk c of `count`, run(base, tag[, address]): after `spin` empty loop turns, stores the i32 `tag`
 * (its thread's) at base + 4(count + c), then (with `store`) 0 at `address`, then adds 1 to the
 * float at base + 4c.
 */
function chunk(name: string, c: number, count: number, spin: number, store: boolean): KernelChunk {
  const emit = () => {
    const f = new FunctionBody(store ? 3 : 2);
    if (spin) f.repeat(spin, () => undefined);
    f.get(0).get(1).i32Store(4 * (count + c));
    if (store) f.get(2).i32Const(0).i32Store();
    f.get(0).get(0).f32Load(4 * c).f32Const(1).f32Add().f32Store(4 * c);
    return moduleBytes(f, 'run', maxPages);
  };
  return { key: `${name} ${c}/${count} ${spin}`, emit };
}
const kernel = (name: string, count: number, spin = 0, store = false) => Array.from({ length: count }, (_, c) => chunk(name, c, count, spin, store));

/** Cells for a kernel of `count` chunks: run counts (floats) and the thread of each chunk's last run (i32). */
function cells(count: number) {
  const block = arrays!.take(2 * count + 1)!;
  return { base: block.byteOffset, runs: block.subarray(0, count), threads: new Int32Array(block.buffer, block.byteOffset + 4 * count, count), give: () => arrays!.give(block) };
}

withTeam('each chunk runs once per kernel and has ended when the kernel does: back to back, after the workers went back to their messages, and for modules new to them', async (t) => {
  const count = 4 * team!.size;
  const at = cells(count);
  try {
    for (let round = 1; round <= 300; round++) {
      await team!.run(kernel('count', count), (thread) => [at.base, thread]);
      t.deepEqual(Array.from(at.runs), Array.from({ length: count }, () => round), `round ${round}`);
      // now and then longer than a worker waits on its slot (20 ms): the next kernel goes by message
      if (round % 50 === 0) await sleep(40);
    }
    at.runs.fill(0);
    await team!.run(kernel('count again', count), (thread) => [at.base, thread]);
    t.deepEqual(Array.from(at.runs), Array.from({ length: count }, () => 1));
  } finally {
    at.give();
  }
});

withTeam('the workers take chunks of a long kernel', async (t) => {
  const count = 4 * team!.size;
  const at = cells(count);
  const byWorkers = new Set<number>();
  try {
    // chunks of a few milliseconds each; the first run compiles the workers' modules
    for (let round = 0; round < 20 && byWorkers.size < team!.size - 1; round++) {
      await team!.run(kernel('spin', count, 2_000_000), (thread) => [at.base, thread]);
      at.threads.forEach((thread) => thread > 0 && byWorkers.add(thread));
    }
    t.is(byWorkers.size, team!.size - 1);
  } finally {
    at.give();
  }
});

withTeam('a kernel no worker has taken up once every chunk ran here is taken back: its chunks ran once, here; the workers go on taking chunks', async (t) => {
  const count = 4 * team!.size;
  const at = cells(count);
  try {
    at.runs.fill(0);
    await team!.run(kernel('empty', count), (thread) => [at.base, thread]);
    const before = team!.takenBack;
    // a worker asleep on its slot (past its spin) wakes later than this thread runs a few empty chunks
    for (let round = 2; round < 50 && team!.takenBack === before; round++) {
      await sleep(5);
      at.threads.fill(-1);
      await team!.run(kernel('empty', count), (thread) => [at.base, thread]);
      t.deepEqual(Array.from(at.runs), Array.from({ length: count }, () => round), `round ${round}`);
      if (team!.takenBack > before) t.deepEqual(Array.from(at.threads), Array.from({ length: count }, () => 0), 'a kernel taken back ran here');
    }
    t.true(team!.takenBack > before, 'no kernel was taken back in 48 tries');
    const byWorkers = new Set<number>();
    for (let round = 0; round < 20 && byWorkers.size < team!.size - 1; round++) {
      await team!.run(kernel('spin', count, 2_000_000), (thread) => [at.base, thread]);
      at.threads.forEach((thread) => thread > 0 && byWorkers.add(thread));
    }
    t.is(byWorkers.size, team!.size - 1, 'workers took chunks afterwards');
  } finally {
    at.give();
  }
});

withTeam('a chunk that traps fails its kernel, which ends only when every thread has; on a worker, with an error naming the kernel, through the slot or by message; the team goes on', async (t) => {
  const count = 4 * team!.size;
  const at = cells(count);
  // past the end of the memory as it is (2 GiB at most, far less used here): stores there trap
  const outside = 2 ** 31 - 1024;
  const trap = kernel('trap', count, 1_000_000, true);
  const run = (bad: (thread: number) => boolean) => team!.run(trap, (thread) => [at.base, thread, bad(thread) ? outside : at.base + 8 * count]);
  const goesOn = async (what: string) => {
    at.runs.fill(0);
    await run(() => false);
    t.deepEqual(Array.from(at.runs), Array.from({ length: count }, () => 1), what);
  };
  try {
    await goesOn('first');
    await t.throwsAsync(run(() => true), undefined, 'every thread trapping');
    await goesOn('after every thread trapped');
    // right after a kernel: through the slot; after 40 ms: by message. Only where a worker took a
    // chunk (its tag is stored before the trap): a loaded machine may leave it none
    for (const pause of [0, 40]) {
      let tries = 0;
      for (; tries < 20; tries++) {
        await sleep(pause);
        at.threads.fill(-1);
        const outcome = await run((thread) => thread > 0).then(
          () => null,
          (e: Error) => e,
        );
        if (!at.threads.some((thread) => thread > 0)) continue;
        t.regex(outcome?.message ?? 'no error', /kernel chunk failed on a worker \(trap 0\//, `after ${pause} ms`);
        break;
      }
      t.true(tries < 20, `after ${pause} ms: no worker took a chunk in 20 kernels`);
      await goesOn(`after a worker trapped, ${pause} ms after a kernel`);
    }
  } finally {
    at.give();
  }
});
