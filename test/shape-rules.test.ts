// Runtime shape rules: valid results, and errors whose messages are exactly the sentences the
// type level prints for the same numbers (see types-test/shapes.test-d.ts).
import test from 'ava';
import { ShapeError } from '../src/dsl/shape-error.js';
import { vitDerived } from '../src/vit/shape.js';
import {
  broadcastShapes, checkDims, chunkShape, concatShape, patchesShape, exactAdd, exactDiv, exactMod, exactMul, exactSub,
  formatShape, matmulShape, mergeHeadsShape, normalizeAxis, permuteShape, reduceShape, reshapeShape,
  sizeOf, sliceShape, softmaxShape, splitHeadsShape, takeShape, transposeShape,
} from '../src/dsl/shape-rules.js';

const throwsShape = (t: import('ava').ExecutionContext, f: () => unknown, message: string) => {
  const e = t.throws(f, { instanceOf: ShapeError });
  t.is(e?.message, message);
  t.is(e?.name, 'ShapeError');
};

const seed = { imageSize: 32, patchSize: 8, channels: 3, embedDim: 384, heads: 12, mlpDim: 384, layers: 7, classes: 10 };

test('exact arithmetic', (t) => {
  t.is(exactMul(3, exactMul(224, 224)), 150528);
  t.is(exactMul(197, 768), 151296);
  t.is(exactMul(94906265, 94906266), 9007199231156490);
  t.is(exactAdd(9007199254740990, 1) as number, Number.MAX_SAFE_INTEGER);
  t.is(exactSub(10, 3), 7);
  t.is(exactDiv(768, 12), 64);
  t.is(exactMod(10, 3), 1);
  throwsShape(t, () => exactDiv(10, 3), '10 is not divisible by 3');
  // a message as a function is made only on failure
  let made = 0;
  const message = () => (made++, 'three does not divide ten');
  t.is(exactDiv(12, 3, message), 4);
  t.is(made, 0);
  throwsShape(t, () => exactDiv(10, 3, message), 'three does not divide ten');
  throwsShape(t, () => exactDiv(10, 3, 'as text'), 'as text');
  throwsShape(t, () => exactDiv(10, 0), 'division by zero: 10 / 0');
  throwsShape(t, () => exactMod(7, 0), 'division by zero: 7 / 0');
  throwsShape(t, () => exactMul(94906266, 94906266), 'product 94906266 * 94906266 exceeds 2^53 - 1');
  throwsShape(t, () => exactAdd(Number.MAX_SAFE_INTEGER, 1), 'sum 9007199254740991 + 1 exceeds 2^53 - 1');
  throwsShape(t, () => exactSub(3, 5), 'difference 3 - 5 is negative');
  throwsShape(t, () => exactMul(1.5, 2), '1.5 is not a non-negative safe integer');
  throwsShape(t, () => exactAdd(2, -1), '-1 is not a non-negative safe integer');
});

test('sizeOf and dim validation', (t) => {
  t.is(sizeOf([128, 197, 768]), 19365888);
  t.is(sizeOf([6361, 69431, 20394401]), Number.MAX_SAFE_INTEGER);
  t.is(sizeOf([]), 1);
  t.is(sizeOf([3, 0, 5]), 0);
  t.is(formatShape([2, 3]), '[2,3]');
  t.notThrows(() => checkDims([2, -1], -1));
  throwsShape(t, () => sizeOf([4294967296, 2097152]), 'shape [4294967296,2097152] has more than 2^53 - 1 elements');
  throwsShape(t, () => sizeOf([2, -3]), 'dim -3 in [2,-3] is not a non-negative safe integer');
  throwsShape(t, () => sizeOf([2.5, 3]), 'dim 2.5 in [2.5,3] is not a non-negative safe integer');
  throwsShape(t, () => sizeOf([2 ** 53]), 'dim 9007199254740992 in [9007199254740992] is not a non-negative safe integer');
  throwsShape(t, () => sizeOf([Number.NaN]), 'dim NaN in [NaN] is not a non-negative safe integer');
});

test('normalizeAxis', (t) => {
  t.is(normalizeAxis(-1, 3), 2);
  t.is(normalizeAxis(-3, 3), 0);
  t.is(normalizeAxis(1, 3), 1);
  throwsShape(t, () => normalizeAxis(3, 3), 'axis 3 is out of range for rank 3');
  throwsShape(t, () => normalizeAxis(-4, 3), 'axis -4 is out of range for rank 3');
  throwsShape(t, () => normalizeAxis(0.5, 3), 'axis 0.5 is not an integer');
  throwsShape(t, () => normalizeAxis(1e21, 3), 'axis 1e+21 is not an integer');
});

test('broadcastShapes', (t) => {
  t.deepEqual(broadcastShapes([2, 3], [3]), [2, 3]);
  t.deepEqual(broadcastShapes([4, 1, 3], [2, 1]), [4, 2, 3]);
  t.deepEqual(broadcastShapes([1], [2, 3]), [2, 3]);
  t.deepEqual(broadcastShapes([], [2]), [2]);
  throwsShape(t, () => broadcastShapes([2, 3], [4]), 'shapes [2,3] and [4] are not broadcastable (3 vs 4)');
  throwsShape(t, () => broadcastShapes([2, 3], [5, 3]), 'shapes [2,3] and [5,3] are not broadcastable (2 vs 5)');
  throwsShape(t, () => broadcastShapes([2], [1.5]), 'dim 1.5 in [1.5] is not a non-negative safe integer');
});

test('matmulShape', (t) => {
  t.deepEqual(matmulShape([2, 3], [3, 5]), [2, 5]);
  t.deepEqual(matmulShape([8, 2, 3], [3, 5]), [8, 2, 5]);
  t.deepEqual(matmulShape([4, 2, 3], [4, 3, 5]), [4, 2, 5]);
  t.deepEqual(matmulShape([4, 2, 3], [4, 2, 5], { transposeA: true }), [4, 3, 5]);
  t.deepEqual(matmulShape([7, 197, 64], [7, 197, 64], { transposeB: true }), [7, 197, 197]);
  t.deepEqual(matmulShape([2, 3], [5, 3], { transposeB: true }), [2, 5]);
  throwsShape(t, () => matmulShape([2, 3], [4, 5]), 'matmul inner dimensions differ: [2,3] x [4,5] (3 vs 4)');
  throwsShape(t, () => matmulShape([2, 3], [3, 5], { transposeB: true }), 'matmul inner dimensions differ: [2,3] x [3,5]^T (3 vs 5)');
  throwsShape(t, () => matmulShape([2, 2, 3], [5, 3, 4]), 'matmul batch dimensions differ: [2,2,3] x [5,3,4] ([2] vs [5])');
  throwsShape(t, () => matmulShape([2, 3], [2, 3, 4]), 'matmul batch dimensions differ: [2,3] x [2,3,4] ([] vs [2])');
  throwsShape(t, () => matmulShape([3], [3, 4]), 'matmul needs operands of rank >= 2: [3] x [3,4]');
});

test('reshapeShape', (t) => {
  t.deepEqual(reshapeShape([2, 3], [3, 2]), [3, 2]);
  t.deepEqual(reshapeShape([2, 197, 768], [2, 197, 12, -1]), [2, 197, 12, 64]);
  t.deepEqual(reshapeShape([0, 3], [5, -1]), [5, 0]);
  throwsShape(t, () => reshapeShape([2, 3], [4, 2]), 'reshape from [2,3] (6 elements) to [4,2] (8 elements)');
  throwsShape(t, () => reshapeShape([2, 3], [4, -1]), 'reshape from [2,3] (6 elements) to [4,-1] (6 is not divisible by 4)');
  throwsShape(t, () => reshapeShape([2, 3], [-1, -1]), 'reshape to [-1,-1] has more than one -1');
  throwsShape(t, () => reshapeShape([2, 0], [0, -1]),
    'reshape from [2,0] (0 elements) to [0,-1] (cannot infer -1 when the other dims multiply to 0)');
  throwsShape(t, () => reshapeShape([2, 3], [-2, -1]), 'dim -2 in [-2,-1] is not a non-negative safe integer');
});

test('transposeShape and permuteShape', (t) => {
  t.deepEqual(transposeShape([8, 2, 3]), [8, 3, 2]);
  t.deepEqual(permuteShape([2, 3, 4], [2, 0, 1]), [4, 2, 3]);
  t.deepEqual(permuteShape([], []), []);
  throwsShape(t, () => transposeShape([3]), 'transpose needs rank >= 2, got [3]');
  throwsShape(t, () => permuteShape([2, 3, 4], [0, 0, 1]), 'permute axes [0,0,1] are not a permutation of 0..2');
  throwsShape(t, () => permuteShape([2, 3, 4], [0, 3, 1]), 'permute axes [0,3,1] are not a permutation of 0..2');
  throwsShape(t, () => permuteShape([2, 3, 4], [0, -1, 1]), 'permute axes [0,-1,1] are not a permutation of 0..2');
  throwsShape(t, () => permuteShape([2, 3, 4], [0, 1]), 'permute axes [0,1] do not match rank 3 of [2,3,4]');
});

test('concatShape', (t) => {
  t.deepEqual(concatShape([2, 1, 768], [2, 196, 768], 1), [2, 197, 768]);
  t.deepEqual(concatShape([2, 3], [3, 3], 0), [5, 3]);
  t.deepEqual(concatShape([2, 3], [2, 4], -1), [2, 7]);
  throwsShape(t, () => concatShape([2, 3], [4, 5], -1), 'concat along axis 1: [2,3] and [4,5] differ at axis 0 (2 vs 4)');
  throwsShape(t, () => concatShape([2, 3], [2, 3, 4], 0), 'concat needs equal ranks: [2,3] and [2,3,4]');
  throwsShape(t, () => concatShape([2, 3], [2, 3], 2), 'axis 2 is out of range for rank 2');
  throwsShape(t, () => concatShape([Number.MAX_SAFE_INTEGER], [1], 0), 'sum 9007199254740991 + 1 exceeds 2^53 - 1');
});

test('sliceShape and takeShape', (t) => {
  t.deepEqual(sliceShape([2, 5], 1, 1, 3), [2, 2]);
  t.deepEqual(sliceShape([2, 5], -1, 5, 5), [2, 0]);
  throwsShape(t, () => sliceShape([2, 5], 1, 0, 7), 'slice [0, 7) exceeds dim 5 on axis 1 of [2,5]');
  throwsShape(t, () => sliceShape([2, 5], 1, 3, 2), 'slice start 3 is greater than end 2');
  throwsShape(t, () => sliceShape([2, 5], 1, -1, 2), 'slice start -1 is not a non-negative safe integer');
  throwsShape(t, () => sliceShape([2, 5], 1, 0, 2.5), 'slice end 2.5 is not a non-negative safe integer');
  throwsShape(t, () => sliceShape([2, 5], 2, 0, 1), 'axis 2 is out of range for rank 2');
  t.deepEqual(takeShape([2, 197, 768], 1, 0), [2, 768]);
  t.deepEqual(takeShape([2, 3], -1, 2), [2]);
  throwsShape(t, () => takeShape([2, 3], 1, 3), 'index 3 is out of range for dim 3 on axis 1 of [2,3]');
  throwsShape(t, () => takeShape([2, 3], 0, -1), 'index -1 is not a non-negative safe integer');
  throwsShape(t, () => takeShape([2, 3], 5, 0), 'axis 5 is out of range for rank 2');
});

test('reduceShape and softmaxShape', (t) => {
  t.deepEqual(reduceShape([2, 3, 4], -1), [2, 3]);
  t.deepEqual(reduceShape([2, 3, 4], 1, true), [2, 1, 4]);
  t.deepEqual(reduceShape([5], 0), []);
  t.deepEqual(softmaxShape([2, 3]), [2, 3]);
  t.deepEqual(softmaxShape([2, 3], 0), [2, 3]);
  throwsShape(t, () => reduceShape([2, 3], 2, false), 'axis 2 is out of range for rank 2');
  throwsShape(t, () => softmaxShape([2, 3], -3), 'axis -3 is out of range for rank 2');
  throwsShape(t, () => reduceShape([2, -1], 0), 'dim -1 in [2,-1] is not a non-negative safe integer');
});

test('splitHeadsShape and mergeHeadsShape', (t) => {
  t.deepEqual(splitHeadsShape([2, 197, 768], 12), [2, 12, 197, 64]);
  t.deepEqual(mergeHeadsShape([2, 12, 197, 64]), [2, 197, 768]);
  throwsShape(t, () => splitHeadsShape([2, 17, 384], 7), 'embedDim 384 is not divisible by heads 7');
  throwsShape(t, () => splitHeadsShape([2, 17, 384], 0), 'heads 0 is not a positive integer');
  throwsShape(t, () => splitHeadsShape([2, 17, 384], 1.5), 'heads 1.5 is not a positive integer');
  throwsShape(t, () => splitHeadsShape([17, 384], 12), 'splitHeads needs [batch, tokens, embedDim], got [17,384]');
  throwsShape(t, () => mergeHeadsShape([2, 3]), 'mergeHeads needs [batch, heads, tokens, headDim], got [2,3]');
  throwsShape(t, () => mergeHeadsShape([1, 94906266, 1, 94906266]), 'product 94906266 * 94906266 exceeds 2^53 - 1');
});

test('vitDerived', (t) => {
  t.deepEqual(vitDerived(seed), { numPatches: 16, tokens: 17, patchDim: 192, headDim: 32 });
  const b16 = { imageSize: 224, patchSize: 16, channels: 3, embedDim: 768, heads: 12, mlpDim: 3072, layers: 12, classes: 1000 };
  t.deepEqual(vitDerived(b16), { numPatches: 196, tokens: 197, patchDim: 768, headDim: 64 });
  throwsShape(t, () => vitDerived({ ...seed, patchSize: 7 }), 'patchSize 7 does not divide imageSize 32');
  throwsShape(t, () => vitDerived({ ...seed, heads: 7 }), 'embedDim 384 is not divisible by heads 7');
  throwsShape(t, () => vitDerived({ ...seed, layers: 0 }), 'layers 0 is not a positive integer');
  throwsShape(t, () => vitDerived({ ...seed, classes: -1 }), 'classes -1 is not a positive integer');
  // the first failing check wins, in the same order as the type
  throwsShape(t, () => vitDerived({ ...seed, patchSize: 7, heads: 7 }), 'patchSize 7 does not divide imageSize 32');
});

test('reduce axis lists, patches and chunks: shapes and the sentences of their types', (t) => {
  t.deepEqual(reduceShape([2, 3, 4], [0, -1]), [3]);
  t.deepEqual(reduceShape([2, 3, 4], [2, 0], true), [1, 3, 1]);
  t.deepEqual(reduceShape([2, 3, 4]), []);
  throwsShape(t, () => reduceShape([2, 3, 4], [2, -1]), 'axis -1 is repeated in [2,-1]');
  t.deepEqual(patchesShape([2, 3, 32, 32], 8), [2, 16, 192]);
  throwsShape(t, () => patchesShape([2, 3, 32, 32], 5), 'patch 5 does not divide height 32');
  throwsShape(t, () => patchesShape([2, 3, 32, 30], 4), 'patch 4 does not divide width 30');
  throwsShape(t, () => patchesShape([3, 32, 32], 4), 'patchify needs [batch, channels, height, width], got [3,32,32]');
  t.deepEqual(chunkShape([2, 17, 1152], 3), [2, 17, 384]);
  throwsShape(t, () => chunkShape([2, 17, 1153], 3), 'chunk count 3 does not divide the last dim of [2,17,1153]');
  throwsShape(t, () => chunkShape([2, 6], 3, 3), 'chunk of [2,6] into 3 gives width 2, not 3');
});
