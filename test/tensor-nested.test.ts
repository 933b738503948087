// tensor(nested arrays) infers the shape from the nesting and refuses ragged input clearly.
import test from 'ava';
import { ShapeError, tensor } from '../src/index.js';

test('tensor(nested) without a shape takes the shape of the nesting', async (t) => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  t.deepEqual([...x.shape], [2, 3]);
  t.deepEqual([...(await x.data())], [1, 2, 3, 4, 5, 6]);
  t.deepEqual([...tensor([1, 2]).shape], [2]);
  t.deepEqual([...tensor(7).shape], []);
  t.deepEqual([...tensor([]).shape], [0]);
  t.deepEqual([...tensor([[[1], [2]], [[3], [4]]]).shape], [2, 2, 1]);
  // with a shape, as before: nested or flat
  t.deepEqual([...(await tensor([[1, 2], [3, 4]], [4]).data())], [1, 2, 3, 4]);
  t.deepEqual([...tensor(new Float32Array(6), [3, 2]).shape], [3, 2]);
});

test('ragged or non-numeric nested input is refused, naming the element', (t) => {
  const ragged = tensor as (d: unknown, s?: number[]) => unknown;
  t.throws(() => ragged([[1, 2, 3], [4, 5]]), {
    instanceOf: ShapeError,
    message: 'tensor: ragged nested array: element [1] has shape [2] but element [0] has shape [3]; give equal-length rows',
  });
  t.throws(() => ragged([[[1, 2]], [[3], [4]]]), { message: /element \[1\] has shape \[2,1\] but element \[0\] has shape \[1,2\]/ });
  t.throws(() => ragged([[1, 2], 3]), { message: /element \[1\] has shape \[\] but element \[0\] has shape \[2\]/ });
  t.throws(() => ragged([[1, '2']]), { message: "tensor: element [0][1] is string, not a number or an array" });
  t.throws(() => ragged(null), { message: 'tensor: the data is null, not a number or an array' });
  t.throws(() => ragged([[1, 2], [3]], [3]), { message: /ragged nested array/ });
});
