// Indexing shapes as types (indexing-rules.ts throws the same sentences at runtime, checked in the
// same order): gather is numpy's take (the indices' dims replace the axis), takeAlongAxis takes
// indices of x's rank whose other dims broadcast with x's (numpy's), scatterAdd ones whose other
// dims equal x's (torch's).
import type { ShapeError } from './shape-error.js';
import type { AxisAt, BroadcastDim, CheckOf, DimsError2, FormatShape, IsTuple, NormalizeAxis, Shape, SpliceAt, UnifyDim, ValidShape } from './shape-types.js';

/** S with the dim at Axis replaced by the dims of I (numpy's take): gather's result. */
export type Gathered<S extends Shape, I extends Shape, Axis extends number> =
  number extends AxisAt<S, Axis> ? number[] : SpliceAt<S, AxisAt<S, Axis>, I>;

// S's dims with I's at X and, at every other axis, the two dims broadcast (takeAlongAxis, numpy's
// take_along_axis) or equal (scatterAdd, torch's scatter_add); else the axis K that fails, as [K, s, i].
type AlongDims<Op extends string, S extends Shape, I extends Shape, X extends number, C extends 0[] = [], Acc extends Shape = []> =
  [S, I] extends [readonly [infer A extends number, ...infer RS extends Shape], readonly [infer B extends number, ...infer RI extends Shape]]
    ? (C['length'] extends X ? AlongDims<Op, RS, RI, X, [...C, 0], [...Acc, B]>
      : (Op extends 'takeAlongAxis' ? BroadcastDim<A, B> : UnifyDim<A, B>) extends infer D extends number
        ? AlongDims<Op, RS, RI, X, [...C, 0], [...Acc, D]>
        : ['fails', C['length'], A, B])
    : Acc;

/** Indices I along Axis of S (Op: takeAlongAxis or scatterAdd): the result's shape, or the ShapeError. */
export type AlongAxisResult<Op extends string, S extends Shape, I extends Shape, Axis extends number> =
  [IsTuple<S>, IsTuple<I>] extends [true, true]
    ? ([DimsError2<S, I>] extends [never]
      ? ([S['length']] extends [I['length']]
        ? (NormalizeAxis<Axis, S['length']> extends infer X extends number
          ? (number extends X ? number[]
            : AlongDims<Op, S, I, X> extends ['fails', infer K extends number, infer A extends number, infer B extends number]
              ? ShapeError<`${Op} along axis ${Axis}: x ${FormatShape<S>} and indices ${FormatShape<I>} ${Op extends 'takeAlongAxis' ? 'do not broadcast' : 'differ'} at axis ${K} (${A} vs ${B})`>
              : AlongDims<Op, S, I, X>)
          : NormalizeAxis<Axis, S['length']>)
        : ShapeError<`${Op} needs indices of x's rank: x ${FormatShape<S>} and indices ${FormatShape<I>}`>)
      : DimsError2<S, I>)
    : number[];
/** `unknown` when I indexes S along Axis. */
export type CheckAlongAxis<Op extends string, S extends Shape, I extends Shape, Axis extends number> =
  AlongAxisResult<Op, S, I, Axis> extends infer R ? CheckOf<R> : never;
/** takeAlongAxis's result (`never` if invalid: CheckAlongAxis says why). */
export type AlongAxis<S extends Shape, I extends Shape, Axis extends number> = ValidShape<AlongAxisResult<'takeAlongAxis', S, I, Axis>>;
