// Validation as values: independent problems are all collected (fp-ts applicative validation),
// and vit.config given plain JavaScript names every problem at once.
import test from 'ava';
import * as E from 'fp-ts/lib/Either.js';
import { allFields, allOf, describeValue, invalid, nearest, valid } from '../src/io/validation.js';
import { ConfigError, vit } from '../src/index.js';

test('allFields and allOf collect every problem, in order, or every value', (t) => {
  t.deepEqual(allFields({ a: valid(1), b: valid('x') }), E.right({ a: 1, b: 'x' }));
  t.deepEqual(allFields({ a: invalid('a is bad'), b: valid(2), c: invalid('c is bad') }), E.left(['a is bad', 'c is bad']));
  t.deepEqual(allOf([valid(1), valid(2)]), E.right([1, 2]));
  t.deepEqual(allOf([invalid('1'), valid(2), invalid('3')]), E.left(['1', '3']));
  t.is(nearest('hedas', ['heads', 'layers', 'classes']), 'heads');
  t.is(nearest('x', []), undefined);
  t.is(describeValue('12'), '"12" (a string)');
  t.is(describeValue(null), 'null');
});

/** vit.config as JavaScript calls it: no types. */
const fromJs = vit.config as (c: unknown) => unknown;
const seed = { ...vit.seedConfig };

function problems(t: import('ava').ExecutionContext, input: unknown): readonly string[] {
  const err = t.throws(() => fromJs(input), { instanceOf: ConfigError });
  t.is(err?.message, err?.problems.join('; '));
  return err?.problems ?? [];
}

test('vit.config from plain JS: an unknown key names the nearest valid one', (t) => {
  const { heads, ...rest } = seed;
  void heads;
  t.deepEqual(problems(t, { ...rest, hedas: 12 }), ["unknown key 'hedas' (did you mean 'heads'?)", 'heads is missing (a positive integer)']);
  t.deepEqual(problems(t, { ...seed, dropuot: 0.1 }), ["unknown key 'dropuot' (did you mean 'dropout'?)"]);
});

test('vit.config from plain JS: types are checked', (t) => {
  t.deepEqual(problems(t, { ...seed, heads: '12' }), ['heads must be a number, got "12" (a string)']);
  t.deepEqual(problems(t, { ...seed, dropout: '0.1' }), ['dropout must be a number, got "0.1" (a string)']);
  t.deepEqual(problems(t, { ...seed, pool: 'avg' }), ['pool must be \'token\' or \'mean\', got "avg" (a string)']);
  t.deepEqual(problems(t, 'seed'), ['a ViT config must be an object, got "seed" (a string)']);
  t.deepEqual(problems(t, null), ['a ViT config must be an object, got null']);
});

test('vit.config: every problem at once, the divisibility rules in the type level words', (t) => {
  t.deepEqual(problems(t, { ...seed, patchSize: 7, heads: 7 }), ['patchSize 7 does not divide imageSize 32', 'embedDim 384 is not divisible by heads 7']);
  t.deepEqual(problems(t, { ...seed, layers: 0, classes: 2.5, dropout: 1, imageSiz: 32, patchSize: 5 }), [
    "unknown key 'imageSiz' (did you mean 'imageSize'?)",
    'layers must be a positive integer, got 0',
    'classes must be a positive integer, got 2.5',
    'dropout must be in [0, 1), got 1',
    'patchSize 5 does not divide imageSize 32',
  ]);
});

test('vit.config: a valid config, and a VitConfig given back (derived dims recomputed)', (t) => {
  const cfg = vit.config({ ...vit.seedConfig, patchSize: 4 });
  t.is(cfg.tokens, 65);
  const again = fromJs({ ...cfg, patchSize: 8 }) as { tokens: number };
  t.is(again.tokens, 17);
});
