// definePrimitive's rules are typed: a primitive that declares a transformation in `transforms`
// without its rule does not compile, and rules see the attributes' type.
import { expectType } from 'tsd';
import { apply, definePrimitive, type Primitive, type Tensor } from 'shaped-vit';

const scaled: Primitive<number> = definePrimitive({
  name: 'types-scaled',
  transforms: ['vjp', 'batch'],
  shape: ([x], _factor: number) => [...x],
  lowering: { arith: (m, [x], factor) => m.mul(x, m.const(factor)) },
  vjp: (g, _out, _inputs, factor) => {
    expectType<number>(factor);
    return [g];
  },
  batch: ([x], _batched, factor) => apply(scaled, [x], factor),
});
expectType<Primitive<number>>(definePrimitive({ name: 'types-plain', shape: ([x], _factor: number) => [...x], lowering: { source: () => 'return x0[i];' } }));

// @ts-expect-error declares 'vjp' but gives no vjp rule
definePrimitive({ name: 'types-no-vjp', transforms: ['vjp'], shape: ([x]) => [...x], lowering: { source: () => 'return x0[i];' } });

// @ts-expect-error declares 'batch' but gives no batching rule
definePrimitive({ name: 'types-no-batch', transforms: ['vjp', 'batch'], shape: ([x]) => [...x], lowering: { source: () => 'return x0[i];' }, vjp: (g: Tensor) => [g] });

// @ts-expect-error a lowering is one of arith, source or kernel
definePrimitive({ name: 'types-no-lowering', shape: ([x]) => [...x], lowering: {} });

// @ts-expect-error an attribute of the wrong type
apply(scaled, [] as Tensor[], 'two');
