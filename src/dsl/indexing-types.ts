// Indexing shapes as types (indexing-rules.ts throws the same sentences at runtime, checked in the
// same order): gather is numpy's take (the indices' dims replace the axis), takeAlongAxis and
// scatterAdd take indices of x's rank whose other dims equal x's.
import type { ShapeError } from './shape-error.js';
import type { AxisAt, CheckOf, DimsError2, FormatShape, IsTuple, NormalizeAxis, Shape, SpliceAt, UnifyDim, ValidShape } from './shape-types.js';

/** S with the dim at Axis replaced by the dims of I (numpy's take): gather's result. */
export type Gathered<S extends Shape, I extends Shape, Axis extends number> =
  number extends AxisAt<S, Axis> ? number[] : SpliceAt<S, AxisAt<S, Axis>, I>;

// First axis other than X where S and I differ, as [axis, s, i], else false; C counts the index.
type AlongMismatch<S extends Shape, I extends Shape, X extends number, C extends 0[] = []> =
  [S, I] extends [readonly [infer A extends number, ...infer RS extends Shape], readonly [infer B extends number, ...infer RI extends Shape]]
    ? (C['length'] extends X ? AlongMismatch<RS, RI, X, [...C, 0]>
      : UnifyDim<A, B> extends false ? [C['length'], A, B]
      : AlongMismatch<RS, RI, X, [...C, 0]>)
    : false;

/** Indices I along Axis of S (Op: takeAlongAxis or scatterAdd): S with I's dim at Axis, or the ShapeError. */
export type AlongAxisResult<Op extends string, S extends Shape, I extends Shape, Axis extends number> =
  [IsTuple<S>, IsTuple<I>] extends [true, true]
    ? ([DimsError2<S, I>] extends [never]
      ? ([S['length']] extends [I['length']]
        ? (NormalizeAxis<Axis, S['length']> extends infer X extends number
          ? (number extends X ? number[]
            : AlongMismatch<S, I, X> extends [infer K extends number, infer A extends number, infer B extends number]
              ? ShapeError<`${Op} along axis ${Axis}: x ${FormatShape<S>} and indices ${FormatShape<I>} differ at axis ${K} (${A} vs ${B})`>
              : SpliceAt<S, X, [I[X]]>)
          : NormalizeAxis<Axis, S['length']>)
        : ShapeError<`${Op} needs indices of x's rank: x ${FormatShape<S>} and indices ${FormatShape<I>}`>)
      : DimsError2<S, I>)
    : number[];
/** `unknown` when I indexes S along Axis. */
export type CheckAlongAxis<Op extends string, S extends Shape, I extends Shape, Axis extends number> =
  AlongAxisResult<Op, S, I, Axis> extends infer R ? CheckOf<R> : never;
/** takeAlongAxis's result (`never` if invalid: CheckAlongAxis says why). */
export type AlongAxis<S extends Shape, I extends Shape, Axis extends number> = ValidShape<AlongAxisResult<'takeAlongAxis', S, I, Axis>>;
