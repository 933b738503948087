// Types of the transformations: a Jacobian of Tensor<O> w.r.t. Tensor<I> is Tensor<[...O, ...I]>,
// jvp's tangents must be shaped like the primals, a pullback takes a cotangent shaped like the
// output, customVjp's bwd returns one cotangent (or null) per argument, shaped like it.
import { expectType } from 'tsd';
import { customVjp, hessian, jacfwd, jacrev, jvp, mul, scan, stopGradient, sum, tanh, vjp, zeros, type Pullback, type Tensor } from 'shaped-vit';

const f = (x: Tensor<[4]>) => tanh(mul(zeros([2, 3, 4]), x));
expectType<Tensor<[2, 3, 4, 4]>>(jacfwd(f)(zeros([4])));
expectType<Tensor<[2, 3, 4, 4]>>(jacrev(f)(zeros([4])));
expectType<Tensor<[5, 2, 5, 2]>>(hessian((x: Tensor<[5, 2]>) => sum(mul(x, x)))(zeros([5, 2])));
// @ts-expect-error the input must be shaped like f's argument
jacrev(f)(zeros([3]));
// @ts-expect-error hessian needs a scalar-valued function
hessian(f);

const g = (x: Tensor<[4]>, w: Tensor<[3, 4]>) => mul(w, x);
expectType<[Tensor<[3, 4]>, Tensor<[3, 4]>]>(jvp(g, [zeros([4]), zeros([3, 4])], [zeros([4]), zeros([3, 4])]));
// @ts-expect-error a tangent shaped unlike its primal
jvp(g, [zeros([4]), zeros([3, 4])], [zeros([4]), zeros([4, 3])]);
// @ts-expect-error one tangent per primal
jvp(g, [zeros([4]), zeros([3, 4])], [zeros([4])]);

const [y, pullback] = vjp((x: Tensor<[4]>) => f(x), zeros([4]));
expectType<Tensor<[2, 3, 4]>>(y);
expectType<Pullback<[2, 3, 4], Tensor<[4]>>>(pullback);
expectType<Tensor<[4]>>(pullback(zeros([2, 3, 4])));
// @ts-expect-error the cotangent is shaped like the output
pullback(zeros([3, 2, 4]));

expectType<Tensor<[7]>>(stopGradient(zeros([7])));

const scaled = customVjp(
  (x: Tensor<[3]>, w: Tensor<[3]>) => mul(x, w),
  (x: Tensor<[3]>, w: Tensor<[3]>) => [mul(x, w), { x, w }] as const,
  (r, g) => [mul(g, r.w), null],
);
expectType<Tensor<[3]>>(scaled(zeros([3]), zeros([3])));
customVjp(
  (x: Tensor<[3]>) => x,
  (x: Tensor<[3]>) => [x, null] as const,
  // @ts-expect-error a cotangent shaped unlike its argument
  (_r, g) => [zeros([4])],
);
customVjp(
  (x: Tensor<[3]>) => x,
  (x: Tensor<[3]>) => [x, null] as const,
  // @ts-expect-error one cotangent per argument
  (_r, g) => [g, g],
);

// scan: the carry keeps its type, xs has the leading T, ys stacks T outputs
const step = (c: { h: Tensor<[4]> }, x: Tensor<[4]>): [{ h: Tensor<[4]> }, Tensor<[2, 4]>] => [{ h: tanh(mul(c.h, x)) }, mul(zeros([2, 4]), x)];
expectType<[{ h: Tensor<[4]> }, Tensor<[9, 2, 4]>]>(scan(step, { h: zeros([4]) }, zeros([9, 4])));
// @ts-expect-error xs's steps must fit f's x
scan(step, { h: zeros([4]) }, zeros([9, 3]));
// @ts-expect-error the initial carry must be the carry's type
scan(step, { h: zeros([5]) }, zeros([9, 4]));
// @ts-expect-error f must return a carry of the same type
scan((c: Tensor<[4]>, x: Tensor<[4]>) => [zeros([3]), x] as const, zeros([4]), zeros([9, 4]));
