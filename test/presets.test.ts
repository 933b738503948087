import test from 'ava';
import { parseRecipe, presetNames, presets } from '../src/train/presets.js';

test('parseRecipe: every preset reads back equal, in the same key order', (t) => {
  for (const name of presetNames) {
    const text = JSON.stringify(presets[name]);
    t.deepEqual(parseRecipe(text), presets[name], name);
    t.is(JSON.stringify(parseRecipe(text)), text, name);
  }
});

test('parseRecipe: a recipe stored before the model kinds existed is a ViT recipe', (t) => {
  const { model: _model, width: _width, blocks: _blocks, ...old } = presets.seed;
  t.deepEqual(parseRecipe(JSON.stringify(old)), presets.seed);
});

test('parseRecipe: anything else is null', (t) => {
  const seed = presets.seed;
  const { lr: _lr, ...noLr } = seed;
  const bad: Record<string, unknown> = {
    'not JSON': '{"model":',
    'an array': '[]',
    null: 'null',
    'a missing field': noLr,
    'an unknown field': { ...seed, learningRate: 1 },
    'an inherited name as a field': { ...seed, constructor: 1 },
    'a string number': { ...seed, lr: '0.001' },
    'a non-finite number': { ...seed, lr: null },
    'three betas': { ...seed, betas: [0.9, 0.99, 0.999] },
    'a non-number beta': { ...seed, betas: [0.9, 'x'] },
    'an unknown model': { ...seed, model: 'cnn' },
    'an unknown optimizer': { ...seed, optimizer: 'lion' },
    'an unknown augment': { ...seed, augment: 'mixup' },
    'a zero limit': { ...seed, limitTrain: 0 },
    'a fractional limit': { ...seed, limitTest: 2.5 },
    'a null limit': { ...seed, limitTest: null },
  };
  for (const [what, v] of Object.entries(bad)) t.is(parseRecipe(typeof v === 'string' ? v : JSON.stringify(v)), null, what);
});
