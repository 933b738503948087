// The typed tensor DSL: tensors, ops, autodiff, backends.
export { Tensor, constant, tensor, fromTypedArray, zeros, ones, full, scalar, apply, type Mutable } from './tensor.js';
export type { Primitive, PortableLowering, ArithRule, VjpRule, JvpRule, BatchRule, BatchAxis } from './tensor.js';
export { definePrimitive, zeroDerivative, type PrimitiveSpec, type PrimitiveDefinition, type Transformation, type Rules } from './primitive.js';
export type { Arith } from './arith.js';
export { randn, uniform, generator } from './random.js';
export { realize, setBackend, backend, availableBackends, memory, resetPeakMemory, tidy, disposeTree, keep } from './runtime.js';
export { profile, type ProfileEntry } from './plan.js';
export { mapTree, zipTrees, treeLeaves, tensorsIn, unflatten, TreeMismatchError } from './tree.js';
export { backendNames, type BackendName, type MemoryInfo } from './backend.js';
export { jit, type Jitted, type JitControls, type JitEntryInfo, type JitOptions } from './jit.js';
export { vjp, grad, valueAndGrad, valueAndGradWithAux, type Pullback } from './autodiff.js';
export { stopGradient, customVjp, type Cotangents } from './transforms/custom-vjp.js';
export { jvp, jacfwd, jacrev, hessian } from './transforms/forward.js';
export { scan } from './transforms/scan.js';
export { checkpoint } from './transforms/checkpoint.js';
export { neg, exp, log, sqrt, rsqrt, tanh, relu, gelu, mulScalar, addScalar, add, sub, mul, div, equal, type BinaryOp } from './ops/elementwise.js';
export {
  where, greater, greaterEqual, less, lessEqual, notEqual, maximum, minimum, pow, abs, sign, square, sigmoid, softplus, clip, sin, cos, log1p, expm1, erf, reciprocal,
} from './ops/math.js';
export { min, logsumexp, variance, std, cumsum } from './ops/statistics.js';
export { prod, cumprod } from './ops/products.js';
export { argmax, argmin, type ArgReduction } from './ops/arg-reduce.js';
export { gather, takeAlongAxis, scatterAdd } from './ops/indexing.js';
export type { Gathered, AlongAxis, CheckAlongAxis } from './indexing-types.js';
export { sum, mean, broadcastTo, sumTo, type Reduction } from './ops/reduce.js';
export { max } from './ops/max.js';
export { reshape, permute, transpose, slice, take, chunk, concat, splitHeads, mergeHeads, patchify } from './ops/layout.js';
export { matmul, type MatmulOptions } from './ops/matmul.js';
export { einsum } from './ops/einsum.js';
export type { Einsum, CheckEinsum, EinsumResult } from './einsum-types.js';
export { conv2d, convTranspose2d, maxPool2d, avgPool2d, adaptiveAvgPool2d } from './ops/conv.js';
export type { ConvOptions, PoolOptions, Conv2d, CheckConv2d, WindowCount, KernelSpan, TransposedSize } from './conv-types.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { layerNorm, layerNormalize } from './ops/layernorm.js';
export { crossEntropy, labelTensor } from './ops/loss.js';
export { dropout, offsetSeed, type Seed } from './ops/dropout.js';
export { exactAdd, exactMul, exactDiv, headWidth } from './shape-rules.js';
export { vmap, type VmapOptions, type InAxis, type AxisTree, type AxisPrefix, type InAxesOf, type Batched, type BatchedBy, type InsertDim, type MapArgs } from './vmap.js';
