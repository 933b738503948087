// Type tests for the shape system (run by tsd with TS 5.9 and by tsc 7, see tsconfig.json here).
// Rejections use `// @ts-expect-error`, which both compilers honour and both fail on when the
// line has no error; tsd's own expectError() would itself be an error under plain tsc.
import { expectAssignable, expectNotAssignable, expectType } from 'tsd';
import type {
  Add, Broadcast, BroadcastResult, CheckAxis, CheckBroadcast, CheckConcat, CheckDims, CheckMatmul,
  CheckHeads, CheckMergeHeads, CheckPatch, CheckPermute, CheckReshape, CheckSlice, CheckSplitHeads, CheckTake, CheckTranspose,
  CheckVitConfig, Concat, ConcatResult, Div, Eq, FormatShape, HeadDim, Lt, Matmul, MatmulResult,
  MergeHeads, Mod, Mul, NormalizeAxis, NumPatches, PatchDim, Permute, Product, Reduce, ReduceResult,
  Reshape, ReshapeResult, Shape, ShapeError, Slice, Softmax, SplitHeads, Sub, Take, Tokens, Transpose,
  VitDerived, VitShapeConfig,
} from 'shaped-vit';
import { exactDiv } from 'shaped-vit';

/** A value of type T, to hand types to expectType. */
declare function t<T>(): T;
type Err<M extends string> = ShapeError<M>;

// --- exact arithmetic ---------------------------------------------------------------------------
expectType<150528>(t<Mul<3, Mul<224, 224>>>());
expectType<151296>(t<Mul<197, 768>>());
// digit by digit, so ImageNet-sized dims cost a few steps per digit (test/typecheck-cost.test.ts)
expectType<3072>(t<Mul<4, 768>>());
expectType<50176>(t<Div<150528, 3>>());
expectType<153600>(t<Add<150528, 3072>>());
expectType<[2, 150528]>(t<Reshape<[2, 3, 224, 224], [2, -1]>>());
expectType<19365888>(t<Product<[128, 197, 768]>>());
expectType<9007199254740991>(t<Product<[6361, 69431, 20394401]>>()); // 2^53 - 1 exactly
expectType<9007199231156490>(t<Mul<94906265, 94906266>>());
expectType<9007199254740991>(t<Add<9007199254740990, 1>>());
expectType<1>(t<Product<[]>>());
expectType<0>(t<Product<[3, 0, 5]>>());
expectType<number>(t<Product<[number, 197, 768]>>());
expectType<number>(t<Mul<number, 3>>());
expectType<number>(t<Add<3, number>>());
expectType<64>(t<Div<768, 12>>());
expectType<14>(t<Div<224, 16>>());
expectType<1>(t<Mod<10, 3>>());
expectType<0>(t<Mod<9007199254740991, 6361>>());
expectType<7>(t<Sub<10, 3>>());
expectType<true>(t<Eq<151296, Mul<197, 768>>>());
expectType<false>(t<Eq<3, 4>>());
expectType<boolean>(t<Eq<number, 4>>());
expectType<true>(t<Lt<99999, 100000>>());

// Rejections are error types (never widened to number, never rounded).
expectType<Err<'10 is not divisible by 3'>>(t<Div<10, 3>>());
expectType<Err<'division by zero: 10 / 0'>>(t<Div<10, 0>>());
expectType<Err<'product 94906266 * 94906266 exceeds 2^53 - 1'>>(t<Mul<94906266, 94906266>>());
expectType<Err<'sum 9007199254740991 + 1 exceeds 2^53 - 1'>>(t<Add<9007199254740991, 1>>());
expectType<Err<'difference 3 - 5 is negative'>>(t<Sub<3, 5>>());
expectType<Err<'shape [4294967296,2097152] has more than 2^53 - 1 elements'>>(t<Product<[4294967296, 2097152]>>());
expectType<Err<'1.5 is not a non-negative safe integer'>>(t<Mul<1.5, 2>>());
expectType<Err<'dim -3 in [2,-3] is not a non-negative safe integer'>>(t<Product<[2, -3]>>());
expectType<Err<'dim 9007199254740992 in [9007199254740992] is not a non-negative safe integer'>>(t<Product<[9007199254740992]>>());
// An error propagates through later arithmetic.
expectType<Err<'10 is not divisible by 3'>>(t<Add<Div<10, 3>, 1>>());
expectNotAssignable<number>(t<Div<10, 3>>());
expectNotAssignable<number>(t<Product<[4294967296, 2097152]>>());
// @ts-expect-error an overflow is not a number
const overflowDim: number = t<Mul<94906266, 94906266>>();
// @ts-expect-error an overflowed dim is not a valid shape
type BadShape = Tensor<[Mul<94906266, 94906266>]>;

// --- a typed op signature: `T & Check<...>` puts the message on the offending argument -------------
declare class Tensor<S extends Shape> {
  readonly shape: S;
}
declare function tensor<const S extends Shape>(shape: S): Tensor<S>;
declare function matmul<A extends Shape, B extends Shape, const O extends { transposeA?: boolean; transposeB?: boolean } = {}>(
  a: Tensor<A>, b: Tensor<B> & CheckMatmul<A, B, O>, options?: O): Tensor<Matmul<A, B, O>>;

const x23 = tensor([2, 3]);
const x35 = tensor([3, 5]);
const x45 = tensor([4, 5]);
const x53 = tensor([5, 3]);
expectType<Tensor<[2, 5]>>(matmul(x23, x35));
expectType<Tensor<[2, 5]>>(matmul(x23, x53, { transposeB: true }));
expectType<Tensor<[8, 2, 5]>>(matmul(tensor([8, 2, 3]), x35));
expectType<Tensor<[number, 197, 64]>>(matmul(tensor([0, 197, 768]) as Tensor<[number, 197, 768]>, tensor([768, 64])));
// tsc: Argument of type 'Tensor<readonly [4, 5]>' is not assignable to parameter of type
//   'Tensor<readonly [4, 5]> & ShapeError<"matmul inner dimensions differ: [2,3] x [4,5] (3 vs 4)">'.
// @ts-expect-error matmul inner dimensions differ: [2,3] x [4,5] (3 vs 4)
matmul(x23, x45);
// @ts-expect-error matmul inner dimensions differ: [2,3] x [3,5]^T (3 vs 5)
matmul(x23, x35, { transposeB: true });

// The inference trap: K inferred from both operands accepts [2,3] x [4,5].
declare function matmulLoose<M extends number, K extends number, N extends number>(
  a: Tensor<readonly [M, K]>, b: Tensor<readonly [K, N]>): Tensor<[M, N]>;
expectType<Tensor<[2, 5]>>(matmulLoose(x23, x45)); // silently accepted
// NoInfer<K> makes the second operand checked against the first.
declare function matmul2d<M extends number, K extends number, N extends number>(
  a: Tensor<readonly [M, K]>, b: Tensor<readonly [NoInfer<K>, N]>): Tensor<[M, N]>;
expectType<Tensor<[2, 5]>>(matmul2d(x23, x35));
// @ts-expect-error [2,3] x [4,5]: 4 is not assignable to 3
matmul2d(x23, x45);
// Generic code over M, K, N type-checks against the NoInfer signature.
function linear<M extends number, K extends number, N extends number>(
  x: Tensor<readonly [M, K]>, w: Tensor<readonly [K, N]>): Tensor<[M, N]> {
  return matmul2d(x, w);
}
expectType<Tensor<[2, 5]>>(linear(x23, x35));
// Generic code may also use the arithmetic types as dims.
declare function qkv<E extends number>(e: E): Tensor<[Mul<3, E>, E]>;
expectType<Tensor<[1152, 384]>>(qkv(384));

// --- matmul ----------------------------------------------------------------------------------------
expectType<[2, 5]>(t<Matmul<[2, 3], [3, 5]>>());
expectType<[4, 2, 5]>(t<Matmul<[4, 2, 3], [4, 3, 5]>>());
expectType<[4, 3, 5]>(t<Matmul<[4, 2, 3], [4, 2, 5], { transposeA: true }>>());
expectType<[7, 197, 197]>(t<Matmul<[7, 197, 64], [7, 197, 64], { transposeB: true }>>());
expectType<unknown>(t<CheckMatmul<[number, 3], [number, 5]>>());
expectType<Err<'matmul inner dimensions differ: [2,3] x [4,5] (3 vs 4)'>>(t<CheckMatmul<[2, 3], [4, 5]>>());
expectType<Err<'matmul batch dimensions differ: [2,2,3] x [5,3,4] ([2] vs [5])'>>(t<MatmulResult<[2, 2, 3], [5, 3, 4]>>());
expectType<Err<'matmul needs operands of rank >= 2: [3] x [3,4]'>>(t<MatmulResult<[3], [3, 4]>>());
expectType<Err<'matmul batch dimensions differ: [2,3] x [2,3,4] ([] vs [2])'>>(t<MatmulResult<[2, 3], [2, 3, 4]>>());
expectType<never>(t<Matmul<[2, 3], [4, 5]>>());

// --- broadcasting ------------------------------------------------------------------------------------
expectType<[2, 3]>(t<Broadcast<[2, 3], [3]>>());
expectType<[4, 2, 3]>(t<Broadcast<[4, 1, 3], [2, 1]>>());
expectType<[number, 197, 768]>(t<Broadcast<[number, 197, 768], [1, 197, 768]>>());
expectType<[5, 3]>(t<Broadcast<[number, 3], [5, 1]>>());
expectType<Err<'shapes [2,3] and [4] are not broadcastable (3 vs 4)'>>(t<BroadcastResult<[2, 3], [4]>>());
expectType<Err<'shapes [2,3] and [5,3] are not broadcastable (2 vs 5)'>>(t<BroadcastResult<[2, 3], [5, 3]>>());
expectType<Err<'dim 1.5 in [1.5] is not a non-negative safe integer'>>(t<CheckBroadcast<[2], [1.5]>>());
declare function add<A extends Shape, B extends Shape>(a: Tensor<A>, b: Tensor<B> & CheckBroadcast<A, B>): Tensor<Broadcast<A, B>>;
expectType<Tensor<[2, 3]>>(add(x23, tensor([1, 3])));
// @ts-expect-error shapes [2,3] and [4] are not broadcastable (3 vs 4)
add(x23, tensor([4]));

// --- reshape, transpose, permute -------------------------------------------------------------------------
expectType<[3, 2]>(t<Reshape<[2, 3], [3, 2]>>());
expectType<[2, 197, 12, 64]>(t<Reshape<[2, 197, 768], [2, 197, 12, -1]>>());
expectType<[number, 6]>(t<Reshape<[number, 2, 3], [-1, 6]>>());
expectType<[5, 0]>(t<Reshape<[0, 3], [5, -1]>>());
expectType<Err<'dim -2 in [-2,-1] is not a non-negative safe integer'>>(t<CheckReshape<[2, 3], [-2, -1]>>());
expectType<Err<'reshape from [2,3] (6 elements) to [4,2] (8 elements)'>>(t<CheckReshape<[2, 3], [4, 2]>>());
expectType<Err<'reshape from [2,3] (6 elements) to [4,-1] (6 is not divisible by 4)'>>(t<ReshapeResult<[2, 3], [4, -1]>>());
expectType<Err<'reshape to [-1,-1] has more than one -1'>>(t<ReshapeResult<[2, 3], [-1, -1]>>());
expectType<Err<'reshape from [2,0] (0 elements) to [0,-1] (cannot infer -1 when the other dims multiply to 0)'>>(
  t<ReshapeResult<[2, 0], [0, -1]>>());
declare function reshape<S extends Shape, const T extends Shape>(x: Tensor<S>, shape: T & CheckReshape<S, T>): Tensor<Reshape<S, T>>;
expectType<Tensor<[6]>>(reshape(x23, [6]));
// @ts-expect-error reshape from [2,3] (6 elements) to [4,2] (8 elements)
reshape(x23, [4, 2]);

expectType<[8, 3, 2]>(t<Transpose<[8, 2, 3]>>());
expectType<Err<'transpose needs rank >= 2, got [3]'>>(t<CheckTranspose<[3]>>());
expectType<[4, 2, 3]>(t<Permute<[2, 3, 4], [2, 0, 1]>>());
expectType<Err<'permute axes [0,0,1] are not a permutation of 0..2'>>(t<CheckPermute<[2, 3, 4], [0, 0, 1]>>());
expectType<Err<'permute axes [0,3,1] are not a permutation of 0..2'>>(t<CheckPermute<[2, 3, 4], [0, 3, 1]>>());
expectType<Err<'permute axes [0,-1,1] are not a permutation of 0..2'>>(t<CheckPermute<[2, 3, 4], [0, -1, 1]>>());
expectType<Err<'permute axes [0,1] do not match rank 3 of [2,3,4]'>>(t<CheckPermute<[2, 3, 4], [0, 1]>>());
declare function permute<S extends Shape, const P extends readonly number[]>(x: Tensor<S>, axes: P & CheckPermute<S, P>): Tensor<Permute<S, P>>;
expectType<Tensor<[3, 2]>>(permute(x23, [1, 0]));
// @ts-expect-error permute axes [1,1] are not a permutation of 0..1
permute(x23, [1, 1]);

// --- axes, reductions, softmax -------------------------------------------------------------------------
expectType<2>(t<NormalizeAxis<-1, 3>>());
expectType<0>(t<NormalizeAxis<-3, 3>>());
expectType<Err<'axis 3 is out of range for rank 3'>>(t<NormalizeAxis<3, 3>>());
expectType<Err<'axis -4 is out of range for rank 3'>>(t<NormalizeAxis<-4, 3>>());
expectType<Err<'axis 0.5 is not an integer'>>(t<NormalizeAxis<0.5, 3>>());
expectType<Err<'axis 1e+21 is not an integer'>>(t<NormalizeAxis<1e21, 3>>());
expectType<[2, 3]>(t<Reduce<[2, 3, 4], -1>>());
expectType<[2, 1, 4]>(t<Reduce<[2, 3, 4], 1, true>>());
expectType<Err<'axis 2 is out of range for rank 2'>>(t<ReduceResult<[2, 3], 2>>());
expectType<[2, 3]>(t<Softmax<[2, 3]>>());
expectType<unknown>(t<CheckAxis<[2, 3], -2>>());
expectType<Err<'axis -3 is out of range for rank 2'>>(t<CheckAxis<[2, 3], -3>>());
expectType<Err<'dim -1 in [2,-1] is not a non-negative safe integer'>>(t<CheckAxis<[2, -1], 0>>());
declare function sum<S extends Shape, Ax extends number, K extends boolean = false>(
  x: Tensor<S>, axis: Ax & CheckAxis<S, Ax>, keepDims?: K): Tensor<Reduce<S, Ax, K>>;
expectType<Tensor<[2]>>(sum(x23, -1));
expectType<Tensor<[2, 1]>>(sum(x23, 1, true));
// @ts-expect-error axis 2 is out of range for rank 2
sum(x23, 2);
// Generic code passing a checked axis on: give the type arguments (inferring them from
// `Ax & CheckAxis<S, Ax>` would make the inner Ax that whole intersection).
function mean<S extends Shape, Ax extends number>(x: Tensor<S>, axis: Ax & CheckAxis<S, Ax>): Tensor<Reduce<S, Ax>> {
  return sum<S, Ax>(x, axis);
}
expectType<Tensor<[3]>>(mean(x23, 0));

// --- concat, slice, take -------------------------------------------------------------------------------
expectType<[number, 197, 768]>(t<Concat<[number, 1, 768], [number, 196, 768], 1>>());
expectType<[5, 3]>(t<Concat<[2, 3], [3, 3], 0>>());
expectType<Err<'concat along axis 1: [2,3] and [4,5] differ at axis 0 (2 vs 4)'>>(t<CheckConcat<[2, 3], [4, 5], -1>>());
expectType<Err<'concat needs equal ranks: [2,3] and [2,3,4]'>>(t<ConcatResult<[2, 3], [2, 3, 4], 0>>());
expectType<Err<'axis 2 is out of range for rank 2'>>(t<CheckConcat<[2, 3], [2, 3], 2>>());
expectType<Err<'sum 9007199254740991 + 1 exceeds 2^53 - 1'>>(t<CheckConcat<[9007199254740991], [1], 0>>());
expectType<[2, 2]>(t<Slice<[2, 5], 1, 1, 3>>());
expectType<[2, 0]>(t<Slice<[2, 5], -1, 5, 5>>());
expectType<Err<'slice [0, 7) exceeds dim 5 on axis 1 of [2,5]'>>(t<CheckSlice<[2, 5], 1, 0, 7>>());
expectType<Err<'slice start 3 is greater than end 2'>>(t<CheckSlice<[2, 5], 1, 3, 2>>());
expectType<Err<'slice start -1 is not a non-negative safe integer'>>(t<CheckSlice<[2, 5], 1, -1, 2>>());
expectType<Err<'slice end 2.5 is not a non-negative safe integer'>>(t<CheckSlice<[2, 5], 1, 0, 2.5>>());
expectType<[number, 768]>(t<Take<[number, 197, 768], 1, 0>>());
expectType<Err<'index 3 is out of range for dim 3 on axis 1 of [2,3]'>>(t<CheckTake<[2, 3], 1, 3>>());
expectType<Err<'index -1 is not a non-negative safe integer'>>(t<CheckTake<[2, 3], 0, -1>>());
expectType<Err<'axis 5 is out of range for rank 2'>>(t<CheckTake<[2, 3], 5, 0>>());

// --- attention heads ---------------------------------------------------------------------------------------
expectType<[number, 12, 197, 64]>(t<SplitHeads<[number, 197, 768], 12>>());
expectType<[number, 197, 768]>(t<MergeHeads<[number, 12, 197, 64]>>());
expectType<Err<'embedDim 384 is not divisible by heads 7'>>(t<CheckSplitHeads<[2, 17, 384], 7>>());
expectType<Err<'heads 0 is not a positive integer'>>(t<CheckSplitHeads<[2, 17, 384], 0>>());
expectType<Err<'heads 1.5 is not a positive integer'>>(t<CheckSplitHeads<[2, 17, 384], 1.5>>());
expectType<Err<'product 94906266 * 94906266 exceeds 2^53 - 1'>>(t<CheckMergeHeads<[1, 94906266, 1, 94906266]>>());
expectType<Err<'splitHeads needs [batch, tokens, embedDim], got [17,384]'>>(t<CheckSplitHeads<[17, 384], 12>>());
expectType<Err<'mergeHeads needs [batch, heads, tokens, headDim], got [2,3]'>>(t<CheckMergeHeads<[2, 3]>>());
expectType<unknown>(t<CheckHeads<768, 12>>());
expectType<unknown>(t<CheckHeads<number, 7>>());
expectType<Err<'embedDim 64 is not divisible by heads 7'>>(t<CheckHeads<64, 7>>());
expectType<unknown>(t<CheckPatch<224, 224, 16>>());
expectType<Err<'patch 5 does not divide height 32'>>(t<CheckPatch<32, 32, 5>>());
expectType<Err<'patch 4 does not divide width 30'>>(t<CheckPatch<32, 30, 4>>());
declare function splitHeads<S extends Shape, H extends number>(x: Tensor<S>, heads: H & CheckSplitHeads<S, H>): Tensor<SplitHeads<S, H>>;
const x = tensor([2, 17, 384]);
expectType<Tensor<[2, 12, 17, 32]>>(splitHeads(x, 12));
// @ts-expect-error embedDim 384 is not divisible by heads 7
splitHeads(x, 7);

// --- dims and formatting -------------------------------------------------------------------------------------
expectType<'[2,number,3]'>(t<FormatShape<[2, number, 3]>>());
expectType<unknown>(t<CheckDims<[2, number, 3]>>());
expectType<Err<'dim 2.5 in [2.5,3] is not a non-negative safe integer'>>(t<CheckDims<[2.5, 3]>>());

// --- ViT config ----------------------------------------------------------------------------------------------------
type VitB16 = { imageSize: 224; patchSize: 16; channels: 3; embedDim: 768; heads: 12; mlpDim: 3072; layers: 12; classes: 1000 };
type Seed = { imageSize: 32; patchSize: 8; channels: 3; embedDim: 384; heads: 12; mlpDim: 384; layers: 7; classes: 10 };
type With<C, K extends keyof C, V> = Omit<C, K> & { [P in K]: V };
expectType<197>(t<Tokens<VitB16>>());
expectType<196>(t<NumPatches<VitB16>>());
expectType<768>(t<PatchDim<VitB16>>());
expectType<64>(t<HeadDim<VitB16>>());
expectType<17>(t<Tokens<Seed>>());
expectType<192>(t<PatchDim<Seed>>());
expectType<32>(t<HeadDim<Seed>>());
expectType<{ numPatches: 16; tokens: 17; patchDim: 192; headDim: 32 }>(t<VitDerived<Seed>>());
expectType<number>(t<Tokens<VitShapeConfig>>());
expectType<Err<'patchSize 7 does not divide imageSize 32'>>(t<CheckVitConfig<With<Seed, 'patchSize', 7>>>());
expectType<Err<'embedDim 384 is not divisible by heads 7'>>(t<CheckVitConfig<With<Seed, 'heads', 7>>>());
expectType<Err<'layers 0 is not a positive integer'>>(t<CheckVitConfig<With<Seed, 'layers', 0>>>());
expectType<Err<'classes -1 is not a positive integer'>>(t<CheckVitConfig<With<Seed, 'classes', -1>>>());
// The first failing check wins, in the same order as the runtime.
expectType<Err<'patchSize 7 does not divide imageSize 32'>>(t<CheckVitConfig<With<With<Seed, 'patchSize', 7>, 'heads', 7>>>());
expectType<never>(t<Tokens<With<Seed, 'patchSize', 7>>>());
declare function config<const C extends VitShapeConfig>(c: C & CheckVitConfig<C>): VitDerived<C>;
expectAssignable<{ tokens: 17 }>(config({ imageSize: 32, patchSize: 8, channels: 3, embedDim: 384, heads: 12, mlpDim: 384, layers: 7, classes: 10 }));
// @ts-expect-error patchSize 7 does not divide imageSize 32
config({ imageSize: 32, patchSize: 7, channels: 3, embedDim: 384, heads: 12, mlpDim: 384, layers: 7, classes: 10 });
// @ts-expect-error embedDim 384 is not divisible by heads 7
config({ imageSize: 32, patchSize: 8, channels: 3, embedDim: 384, heads: 7, mlpDim: 384, layers: 7, classes: 10 });

// exactDiv keeps the quotient's literal; its error message is text, or a function made only on failure
expectType<64>(exactDiv(768, 12));
expectType<64>(exactDiv(768, 12, () => 'heads do not divide the width'));
expectType<64>(exactDiv(768, 12, 'heads do not divide the width'));
// @ts-expect-error a message is text or a function returning text
exactDiv(768, 12, 3);
