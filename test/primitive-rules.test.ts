// Every primitive of the library is batchable (a batching rule, or elementwise: batched by
// broadcasting), and every one that has no VJP is one whose gradient is zero or undefined by
// design (comparisons, masks, indices, and gradients' own primitives), listed here.
import test from 'ava';
import '../src/index.js';
import { definedPrimitives, isElementwise } from '../src/dsl/primitive.js';

const library = definedPrimitives();
const withoutVjp = ['equal', 'step', 'geluGrad', 'maxGrad', 'softmaxGrad', 'layerNormGrad', 'crossEntropyGrad', 'prodOthers', 'cumprodGrad', 'greater', 'greaterEqual', 'less', 'lessEqual', 'notEqual', 'maximumMask', 'clipGrad'];

test('the library defines its ops as primitives', (t) => {
  t.true(library.length >= 30, `${library.length} primitives`);
});

test('every library primitive can be batched by vmap', (t) => {
  t.deepEqual(library.filter((p) => !p.batch && !isElementwise(p)).map((p) => p.name), []);
});

test('every library primitive without a VJP is one listed as not differentiable', (t) => {
  t.deepEqual(library.filter((p) => !p.vjp).map((p) => p.name).sort(), [...withoutVjp].sort());
});
