// The typed tensor DSL: tensors, ops, autodiff, backends.
export { Tensor, constant, tensor, fromTypedArray, zeros, ones, full, scalar, type Primitive, type Mutable } from './tensor.js';
export { randn, uniform, generator } from './random.js';
export { realize, setBackend, backend, availableBackends, memory, tidy, disposeTree, keep } from './runtime.js';
export { profile, type ProfileEntry } from './plan.js';
export { mapTree, zipTrees, treeLeaves, tensorsIn, unflatten, TreeMismatchError } from './tree.js';
export { backendNames, type BackendName, type MemoryInfo } from './backend.js';
export { jit, type Jitted, type JitControls, type JitEntryInfo, type JitOptions } from './jit.js';
export { vjp, grad, valueAndGrad, valueAndGradWithAux } from './autodiff.js';
export { neg, exp, log, sqrt, rsqrt, tanh, relu, gelu, mulScalar, addScalar, add, sub, mul, div, equal, type BinaryOp } from './ops/elementwise.js';
export { sum, mean, max, broadcastTo, sumTo, type Reduction } from './ops/reduce.js';
export { reshape, permute, transpose, slice, take, chunk, concat, splitHeads, mergeHeads, patchify } from './ops/layout.js';
export { matmul, type MatmulOptions } from './ops/matmul.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { layerNorm, layerNormalize } from './ops/layernorm.js';
export { crossEntropy, labelTensor, argmax } from './ops/loss.js';
export { dropout, offsetSeed, type Seed } from './ops/dropout.js';
export { exactAdd, exactMul, exactDiv, headWidth, vitDerived } from './shape-rules.js';
