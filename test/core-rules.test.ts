// The core keeps its own rules: every node is checked by its primitive's shape rule (nodes made
// inside a VJP too), autodiff is loud about a missing or malformed VJP, and pytrees of different
// structure are refused with the path where they differ.
import test from 'ava';
import { apply, tensor } from '../src/dsl/tensor.js';
import { definePrimitive } from '../src/dsl/primitive.js';
import { ShapeError } from '../src/dsl/shape-error.js';
import { broadcastShapes } from '../src/dsl/shape-rules.js';
import { add, equal, grad, mapTree, sum, unflatten, valueAndGrad, zipTrees, TreeMismatchError, type Tensor } from '../src/index.js';

const identityShape = ([x]: readonly (readonly number[])[]) => [...x];
const notRun = { kernel: () => { throw new Error('not run'); } };
const addLike = definePrimitive({ name: 'test-add', shape: ([a, b]) => broadcastShapes(a, b), lowering: notRun });

test('apply computes the output shape from the primitive rule and refuses inputs that do not fit', (t) => {
  t.deepEqual([...apply(addLike, [tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([1, 2, 3], [3])], undefined).shape], [2, 3]);
  const e = t.throws(() => apply(addLike, [tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([1, 2], [2])], undefined), { instanceOf: ShapeError });
  t.is(e?.message, 'shapes [2,3] and [2] are not broadcastable (3 vs 2)');
});

test('a node a VJP makes is checked by its shape rule too', (t) => {
  // a VJP with a bug: it combines the cotangent [2, 3] with a [4] tensor
  const buggy = definePrimitive({
    name: 'test-buggy',
    shape: identityShape,
    lowering: notRun,
    vjp: (g) => [apply(addLike, [g, tensor([1, 2, 3, 4], [4])], undefined)],
  });
  const f = (x: Tensor) => sum(apply(buggy, [x], undefined));
  const e = t.throws(() => grad(f)(tensor([1, 2, 3, 4, 5, 6], [2, 3])), { instanceOf: ShapeError });
  t.is(e?.message, 'shapes [2,3] and [4] are not broadcastable (3 vs 4)');
});

test('a node without a VJP between the output and a differentiated input is an error naming the op', (t) => {
  const opaque = definePrimitive({ name: 'test-opaque', shape: ([a]) => [...a], lowering: { arith: (m, [x]) => m.mul(x, x) } });
  const f = (x: Tensor<[3]>) => sum(apply(opaque, [x], undefined));
  const e = t.throws(() => grad(f)(tensor([1, 2, 3], [3])));
  t.regex(e?.message ?? '', /^autodiff: test-opaque has no VJP, but Tensor\[3\] \(test-opaque\) lies between the output and an input being differentiated$/);
  // off the path it is fine: the term below is not differentiated
  const [value] = valueAndGrad((x: Tensor<[3]>) => sum(add(x, sum(apply(opaque, [tensor([1, 2, 3], [3])], undefined)))))(tensor([1, 2, 3], [3]));
  t.deepEqual([...value.shape], []);
});

test('a comparison has a derivative of zero by definition, stated by its rule', async (t) => {
  const g = grad((x: Tensor<[3]>) => sum(add(x, equal(x, tensor([1, 0, 3], [3])))))(tensor([1, 2, 3], [3]));
  t.deepEqual([...(await g.data())], [1, 1, 1]);
});

test('a VJP must return one cotangent per input', (t) => {
  const short = definePrimitive({ name: 'test-short', shape: ([a]) => [...a], lowering: notRun, vjp: (g) => [g] });
  const f = (x: Tensor<[2]>) => sum(apply(short, [x, x], undefined));
  const e = t.throws(() => grad(f)(tensor([1, 2], [2])));
  t.is(e?.message, 'autodiff: the VJP of test-short returned 1 cotangents for 2 inputs');
});

test('pytrees: zip checks the structure and names the path where trees differ', (t) => {
  const x = tensor([1, 2], [2]);
  const a = { encoder: [{ w: x, b: x }], ln: { weight: x } };
  const zipped = zipTrees([a, a], (p, q) => add(p, q));
  t.deepEqual(Object.keys(zipped), ['encoder', 'ln']);
  const paths: string[] = [];
  mapTree(a, (v, path) => (paths.push(path), v));
  t.deepEqual(paths, ['encoder.0.w', 'encoder.0.b', 'ln.weight']);
  const missing = { encoder: [{ w: x }], ln: { weight: x } } as unknown as typeof a;
  t.is(t.throws(() => zipTrees([a, missing], add), { instanceOf: TreeMismatchError })?.message, 'trees differ at "encoder.0": a record {w, b} vs a record {w}');
  const longer = { encoder: [{ w: x, b: x }, { w: x, b: x }], ln: { weight: x } };
  t.is(t.throws(() => zipTrees([a, longer], add), { instanceOf: TreeMismatchError })?.message, 'trees differ at "encoder": an array of 1 vs an array of 2');
  const nullLeaf = { encoder: [{ w: x, b: null }], ln: { weight: x } } as unknown as typeof a;
  t.is(t.throws(() => zipTrees([a, nullLeaf], add), { instanceOf: TreeMismatchError })?.message, 'trees differ at "encoder.0.b": a tensor Tensor[2] vs null');
  t.is(t.throws(() => unflatten(a, [x]), { instanceOf: TreeMismatchError })?.message, 'the tree holds 3 tensors, got 1');
  // a field named __proto__ (a record parsed from JSON) stays a field of the result, with its path
  const tree: Record<string, unknown> = JSON.parse('{"__proto__": null, "w": null}');
  Object.defineProperty(tree, '__proto__', { value: x, enumerable: true });
  tree.w = x;
  const mapped = mapTree(tree, (v, path) => (paths.push(path), v));
  t.deepEqual(Object.keys(mapped), ['__proto__', 'w']);
  t.is(Object.getPrototypeOf(mapped), Object.prototype);
  t.deepEqual(paths.slice(-2), ['__proto__', 'w']);
});
