import test from 'ava';
import { parseProgress } from '../src/train/checkpoint.js';

const base = { run: 'run-1', epoch: 2, step: 8, bestValAcc: 0.25, recipe: '{}' };
const sha = 'ab'.repeat(32);
const parse = (record: unknown) => parseProgress(JSON.stringify(record), 'last.train.safetensors');

test('parseProgress: a record with its data source reads back equal', (t) => {
  const record = { ...base, data: { dir: '/data/cifar', files: { 'data_batch_1.bin': sha } } };
  const text = JSON.stringify(record).replace('"files":{', '"files":{"__proto__":"' + sha + '",');
  const parsed = parseProgress(text, 'last.train.safetensors');
  t.is(parsed.data?.dir, '/data/cifar');
  // a "__proto__" file name stays a plain key, not the object's prototype
  t.deepEqual(Object.keys(parsed.data?.files ?? {}).sort(), ['__proto__', 'data_batch_1.bin']);
  t.is(Object.getPrototypeOf(parsed.data?.files), Object.prototype);
});

test('parseProgress: a data field that is not {dir, files: {name: sha256}} is refused in one line', (t) => {
  const message = 'last.train.safetensors: progress record field data must be {dir, files: {name: sha256}}';
  const files = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, k) => [`f${k}`, sha]));
  for (const data of [null, 7, [], { dir: 3, files: {} }, { dir: '/d' }, { dir: '/d', files: [] }, { dir: '/d', files: { a: 'xyz' } }, { dir: '/d', files: { 'a/b': sha } }, { dir: '/d', files: files(65) }]) {
    t.throws(() => parse({ ...base, data }), { message }, JSON.stringify(data));
  }
  t.notThrows(() => parse({ ...base, data: { dir: '/d', files: files(64) } }));
});

test('parseProgress: counts and the run id are checked', (t) => {
  t.throws(() => parse({ ...base, step: 1.5 }), { message: 'last.train.safetensors: progress record field step must be a non-negative integer, got 1.5' });
  t.throws(() => parse({ ...base, run: 7 }), { message: 'last.train.safetensors: progress record has no valid run id' });
  t.throws(() => parse(null), { message: 'last.train.safetensors: progress record is not an object' });
  t.throws(() => parse({ ...base, partial: 0 }), { message: 'last.train.safetensors: progress record field partial is not an object' });
  t.deepEqual(parse(base), base);
});
