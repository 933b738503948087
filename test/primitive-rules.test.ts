// Every primitive of the library is batchable (a batching rule, or elementwise: batched by
// broadcasting) and has a VJP rule. The ones whose derivative is zero by definition (comparisons,
// masks, indices, steps, a seed, stopGradient) say so with `zeroDerivative`, and are exactly the
// list below; every other rule gives real cotangents, so nothing is silently zero.
import test from 'ava';
import '../src/index.js';
import { definedPrimitives, isElementwise, zeroDerivative } from '../src/dsl/primitive.js';

const library = definedPrimitives();
const zeroByDefinition = ['equal', 'step', 'sign', 'argReduce', 'greater', 'greaterEqual', 'less', 'lessEqual', 'notEqual', 'maximumMask', 'dropoutMask', 'stopGradient', 'checkIndices'];

test('the library defines its ops as primitives', (t) => {
  t.true(library.length >= 30, `${library.length} primitives`);
});

test('every library primitive can be batched by vmap', (t) => {
  t.deepEqual(library.filter((p) => !p.batch && !isElementwise(p)).map((p) => p.name), []);
});

test('every library primitive has a VJP rule: its own, or zeroDerivative for those listed as zero by definition', (t) => {
  t.deepEqual(library.filter((p) => !p.vjp).map((p) => p.name), [], 'primitives without a VJP rule');
  t.deepEqual(library.filter((p) => p.vjp === zeroDerivative).map((p) => p.name).sort(), [...zeroByDefinition].sort(), 'primitives whose derivative is zero');
});
