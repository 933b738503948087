// The kernel table: a backend's registered kernel replaces the op's portable lowering on that
// backend only, and an (op, backend) pair takes one registration.
import test from 'ava';
import { apply, tensor, type Tensor } from '../src/dsl/tensor.js';
import { definePrimitive } from '../src/dsl/primitive.js';
import { registerKernel } from '../src/dsl/kernel-table.js';
import { kernelSource } from '../src/dsl/kernel-source.js';
import { matmulP } from '../src/dsl/ops/matmul.js';
import { eachBackend } from './support/backends.js';

// doubles its input portably; a registered kernel for the backend under test triples it instead
const doubleP = definePrimitive({ name: 'test-double', shape: ([x]) => [...x], lowering: { source: () => 'return x0[i] * 2.0;' } });

eachBackend('a registered kernel replaces the portable lowering on its backend only', async (t, name) => {
  const x = tensor([1, 2, 3], [3]);
  const portable = apply(doubleP, [x], undefined) as Tensor;
  t.deepEqual(Array.from(await portable.data()), [2, 4, 6]);
  const other = name === 'cpu' ? 'webasm' : 'cpu';
  // a primitive per backend under test, with kernels of its own on two backends
  const triple = definePrimitive({ name: `test-triple-${name}`, shape: ([v]) => [...v], lowering: { source: () => 'return x0[i] * 2.0;' } });
  registerKernel(triple, name, (out) => (backend, args) => backend.run({ source: kernelSource(['a'], 'return a[i] * 3.0;'), length: out.size }, args));
  registerKernel(triple, other, (out) => (backend, args) => backend.run({ source: kernelSource(['a'], 'return a[i] * 5.0;'), length: out.size }, args));
  const own = apply(triple, [x], undefined) as Tensor;
  t.deepEqual(Array.from(await own.data()), [3, 6, 9]);
});

test('one kernel per (op, backend)', (t) => {
  t.throws(() => registerKernel(matmulP, 'cpu', () => async (_b, [a]) => a), { message: /cpu kernel for matmul is already registered/ });
});
