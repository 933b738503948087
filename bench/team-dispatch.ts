// node build/bench/team-dispatch.js [runs, default 300]
// What the thread team (src/dsl/kernels/wasm-threads.ts) costs per kernel, apart from the kernel's
// work: a kernel of one empty chunk per thread, run after this thread was busy for 0, 0.05, 0.2 and
// 1 ms (a step's kernels come back to back, or after host work), median and 90th percentile of
// the run's time.
import { FunctionBody, moduleBytes } from '../src/dsl/kernels/wasm-emit.js';
import { maxPages, threadTeam } from '../src/dsl/kernels/wasm-threads.js';

const runs = Number(process.argv[2] ?? 300);
const team = threadTeam();
if (!team) {
  console.error('team-dispatch: no thread team here (no SharedArrayBuffer, or one core)');
  process.exit(2);
}
const empty = () => moduleBytes(new FunctionBody(0), 'run', maxPages);
const chunks = Array.from({ length: team.size }, (_, k) => ({ key: `empty ${k}`, emit: empty }));
// compiled on every thread first
for (let k = 0; k < 3; k++) await team.run(chunks, () => []);
for (const gapMs of [0, 0.05, 0.2, 1]) {
  const us: number[] = [];
  for (let r = 0; r < runs; r++) {
    for (const until = performance.now() + gapMs; performance.now() < until; );
    const t0 = performance.now();
    await team.run(chunks, () => []);
    us.push((performance.now() - t0) * 1000);
  }
  us.sort((a, b) => a - b);
  console.log(`after ${gapMs} ms busy: median ${us[runs >> 1].toFixed(1)} us, p90 ${us[Math.floor(runs * 0.9)].toFixed(1)} us (${team.size} threads, ${runs} runs)`);
}
process.exit(0);
