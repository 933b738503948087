import test from 'ava';
import { createRng, deriveSeed, mix32, shuffleInPlace, streamRng } from '../src/data/rng.js';

test('same seed, same stream; different seeds differ', (t) => {
  const a = createRng(42);
  const b = createRng(42);
  const c = createRng(43);
  const xs = Array.from({ length: 100 }, () => a.uint32());
  t.deepEqual(Array.from({ length: 100 }, () => b.uint32()), xs);
  t.notDeepEqual(Array.from({ length: 100 }, () => c.uint32()), xs);
  t.true(xs.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32));
});

test('next() is in [0, 1) with mean about 1/2', (t) => {
  const r = createRng(7);
  let sum = 0;
  for (let i = 0; i < 100000; i++) {
    const x = r.next();
    t.true(x >= 0 && x < 1);
    sum += x;
  }
  // sd of the mean = sqrt(1/12 / 1e5) = 0.0009; allow 5 sd.
  t.true(Math.abs(sum / 100000 - 0.5) < 0.0046);
});

test('int(n) covers 0..n-1 uniformly, choice picks from the list', (t) => {
  const r = createRng(1);
  const counts = new Array<number>(9).fill(0);
  for (let i = 0; i < 90000; i++) counts[r.int(9)]++;
  // Binomial(90000, 1/9): sd 94; allow 5 sd.
  for (const c of counts) t.true(Math.abs(c - 10000) < 470, `count ${c}`);
  t.is(r.int(1), 0);
  t.throws(() => r.int(0), { instanceOf: RangeError });
  t.throws(() => r.int(2.5), { instanceOf: RangeError });
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(r.choice(['a', 'b', 'c']));
  t.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  t.throws(() => r.choice([]), { instanceOf: RangeError });
});

test('deriveSeed depends on every part and on their order', (t) => {
  const seeds = new Set<number>();
  for (let e = 0; e < 20; e++) for (let i = 0; i < 500; i++) seeds.add(deriveSeed(1, e, i));
  t.is(seeds.size, 10000);
  t.not(deriveSeed(1, 0, 5), deriveSeed(1, 5, 0));
  t.not(deriveSeed(1, 2), deriveSeed(1, 2, 0));
  // High bits of large seeds matter too.
  t.not(deriveSeed(2 ** 40), deriveSeed(0));
  t.is(deriveSeed(3, 4, 5), deriveSeed(3, 4, 5));
  t.throws(() => deriveSeed(0.5));
  // streamRng is createRng(deriveSeed(...)).
  t.is(streamRng(3, 4, 5).uint32(), createRng(deriveSeed(3, 4, 5)).uint32());
});

test('mix32 is a bijection on a sample (no collisions) and shuffle is a permutation', (t) => {
  const outs = new Set<number>();
  for (let i = 0; i < 50000; i++) outs.add(mix32(i));
  t.is(outs.size, 50000);
  const arr = Int32Array.from({ length: 1000 }, (_, i) => i);
  shuffleInPlace(arr, createRng(9));
  t.deepEqual([...arr].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  t.notDeepEqual([...arr], Array.from({ length: 1000 }, (_, i) => i));
  const again = Int32Array.from({ length: 1000 }, (_, i) => i);
  t.deepEqual(shuffleInPlace(again, createRng(9)), arr);
});
