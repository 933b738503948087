// Type-level rules of the structure ops (ops/structure.ts and concat's list form): stack,
// concat of a list, squeeze, expandDims, flatten, pad, split and the constructors' lengths. As in
// shape-types.ts, each XResult is the output shape or a `ShapeError<"sentence">`, each CheckX is
// `unknown` or that error, and structure-rules.ts throws the same sentences at runtime.
import type { ShapeError } from './shape-error.js';
import type { Tensor } from './tensor.js';
import type {
  Add,
  AxisAt,
  CheckAxes,
  CheckOf,
  ConcatResult,
  DimsError,
  Div,
  DivExact,
  Eq,
  FormatShape,
  IsTuple,
  Lt,
  Mod,
  Mul,
  NormalizeAxis,
  NumOrError,
  PositiveError,
  Reduced,
  Repeat,
  Shape,
  SpliceAt,
  Sub,
  UnifyDims,
  ValidShape,
} from './shape-types.js';

/** The shapes of a list of tensors, as a tuple type. */
export type ShapesOf<L extends readonly Tensor[]> = { -readonly [K in keyof L]: L[K] extends Tensor<infer S> ? S : never };
/** A tuple type of tensors of the given shapes. */
export type TensorsOf<L extends readonly Shape[]> = { -readonly [K in keyof L]: Tensor<L[K]> };

// ---------------------------------------------------------------------------
// stack / concat of a list

// First tensor of Rest (numbered from K) whose shape is not S0's, else never.
type StackMismatch<S0 extends Shape, Rest extends readonly Shape[], K extends 0[] = [0]> =
  Rest extends readonly [infer S extends Shape, ...infer R extends readonly Shape[]]
    ? (UnifyDims<S0, S> extends false
      ? ShapeError<`stack: tensor ${K['length']} has shape ${FormatShape<S>} but tensor 0 has ${FormatShape<S0>}`>
      : StackMismatch<S0, R, [...K, 0]>)
    : never;

/** S with a new axis of size D before axis X (X = rank appends it). */
export type InsertAt<S extends Shape, X extends number, D extends number> =
  S['length'] extends X ? [...S, D] : SpliceAt<S, X, [D, S[X]]>;

// A new axis in [-(rank + 1), rank], normalised, or the error naming Op.
type NewAxis<S extends Shape, Axis extends number, Op extends string> =
  NormalizeAxis<Axis, Add<S['length'], 1> & number> extends infer X extends number
    ? X : ShapeError<`${Op}: axis ${Axis} is out of range for a new axis of ${FormatShape<S>}`>;

/** Shapes L stacked along a new axis (all equal), or the ShapeError. */
export type StackResult<L extends readonly Shape[], Axis extends number> =
  L extends readonly [infer S0 extends Shape, ...infer Rest extends readonly Shape[]]
    ? (IsTuple<S0> extends false ? number[]
      : [DimsError<S0>] extends [never]
        ? ([StackMismatch<S0, Rest>] extends [never]
          ? (NewAxis<S0, Axis, 'stack'> extends infer X extends number ? InsertAt<S0, X, L['length']> : NewAxis<S0, Axis, 'stack'>)
          : StackMismatch<S0, Rest>)
        : DimsError<S0>)
    : L extends readonly [] ? ShapeError<'stack needs at least one tensor'>
    // an array (its length known at runtime) of one shape S
    : L extends readonly (infer S extends Shape)[]
      ? (IsTuple<S> extends false ? number[] : NewAxis<S, Axis, 'stack'> extends infer X extends number ? InsertAt<S, X, number> : NewAxis<S, Axis, 'stack'>)
      : number[];
/** `unknown` when the shapes stack along Axis. */
export type CheckStack<L extends readonly Shape[], Axis extends number> = StackResult<L, Axis> extends infer R ? CheckOf<R> : never;
/** Shape after stack (`never` if invalid). */
export type Stack<L extends readonly Shape[], Axis extends number> = ValidShape<StackResult<L, Axis>>;

/** Shapes L joined along Axis, pair by pair (each pair's error is concat's), or the ShapeError. */
export type ConcatListResult<L extends readonly Shape[], Axis extends number> =
  L extends readonly [infer A extends Shape, infer B extends Shape, ...infer Rest extends readonly Shape[]]
    ? (ConcatResult<A, B, Axis> extends infer J extends Shape ? ConcatListResult<[J, ...Rest], Axis> : ConcatResult<A, B, Axis>)
    : L extends readonly [infer A extends Shape]
      ? (IsTuple<A> extends false ? number[]
        : [DimsError<A>] extends [never] ? (NormalizeAxis<Axis, A['length']> extends number ? A : NormalizeAxis<Axis, A['length']>) : DimsError<A>)
      : L extends readonly [] ? ShapeError<'concat needs at least one tensor'>
      // an array (its length known at runtime) of one shape S
      : L extends readonly (infer S extends Shape)[]
        ? (IsTuple<S> extends false ? number[] : NormalizeAxis<Axis, S['length']> extends infer X extends number ? SpliceAt<S, X, [number]> : NormalizeAxis<Axis, S['length']>)
        : number[];
/** `unknown` when the list concatenates along Axis. */
export type CheckConcatList<L extends readonly Shape[], Axis extends number> = ConcatListResult<L, Axis> extends infer R ? CheckOf<R> : never;
/** Shape after concat of a list (`never` if invalid). */
export type ConcatList<L extends readonly Shape[], Axis extends number> = ValidShape<ConcatListResult<L, Axis>>;

// ---------------------------------------------------------------------------
// squeeze / expandDims / flatten

type Ones<S extends Shape, Acc extends Shape = []> =
  S extends readonly [infer H extends number, ...infer R extends Shape] ? Ones<R, [H] extends [1] ? Acc : [...Acc, H]> : Acc;
// First listed axis whose dim is a literal other than 1, else never.
type NotOne<S extends Shape, Ax extends readonly number[]> =
  Ax extends readonly [infer A extends number, ...infer R extends readonly number[]]
    ? (S[NormalizeAxis<A, S['length']> & number] extends infer D extends number
      ? (number extends D ? NotOne<S, R> : [D] extends [1] ? NotOne<S, R>
        : ShapeError<`squeeze: axis ${A} of ${FormatShape<S>} has dim ${D}, not 1`>)
      : never)
    : never;
type AxisList<Ax> = Ax extends readonly number[] ? Ax : Ax extends number ? [Ax] : [];
/** `true` when S's dim at every listed axis is the literal 1 (known even when S's other dims are generic). */
export type OnesAt<S extends Shape, Ax extends readonly number[]> =
  Ax extends readonly [infer A extends number, ...infer R extends readonly number[]] ? ([S[AxisAt<S, A>]] extends [1] ? OnesAt<S, R> : false) : true;
/** S without the given axes (each of dim 1), or without every dim that is 1 when Ax is undefined. */
export type SqueezeResult<S extends Shape, Ax extends number | readonly number[] | undefined> =
  IsTuple<S> extends false ? number[]
  : [DimsError<S>] extends [never]
    ? ([Ax] extends [number | readonly number[]]
      ? (CheckAxes<S, Ax> extends infer E extends ShapeError<string> ? E
        : [NotOne<S, AxisList<Ax>>] extends [never] ? Reduced<S, Ax> : NotOne<S, AxisList<Ax>>)
      : number extends S[number] ? number[] : Ones<S>)
    : DimsError<S>;
/** `unknown` when the squeeze is valid. */
export type CheckSqueeze<S extends Shape, Ax extends number | readonly number[] | undefined> = SqueezeResult<S, Ax> extends infer R ? CheckOf<R> : never;
/** Shape after squeeze (`never` if invalid). */
export type Squeeze<S extends Shape, Ax extends number | readonly number[] | undefined> = ValidShape<SqueezeResult<S, Ax>>;

/** S with a new axis of size 1 at Axis (in [-(rank + 1), rank]), or the ShapeError. */
export type ExpandDimsResult<S extends Shape, Axis extends number> =
  IsTuple<S> extends false ? number[]
  : [DimsError<S>] extends [never]
    ? (NewAxis<S, Axis, 'expandDims'> extends infer X extends number ? InsertAt<S, X, 1> : NewAxis<S, Axis, 'expandDims'>)
    : DimsError<S>;
/** `unknown` when Axis is a valid new axis of S. */
export type CheckExpandDims<S extends Shape, Axis extends number> = ExpandDimsResult<S, Axis> extends infer R ? CheckOf<R> : never;
/** Shape after expandDims (`never` if invalid). */
export type ExpandDims<S extends Shape, Axis extends number> = ValidShape<ExpandDimsResult<S, Axis>>;

// The product of dims, kept as `Mul` of the dims (so generic dims stay an expression).
type ProductOf<S extends Shape> = S extends readonly [infer H extends number, ...infer R extends Shape] ? ProductFrom<R, H> : 1;
type ProductFrom<S extends Shape, Acc extends NumOrError> =
  S extends readonly [infer H extends number, ...infer R extends Shape] ? ProductFrom<R, Mul<Acc, H>> : Acc;
// Axes of S before First, from First to Last, after Last: [before, merged, after].
type Cut<S extends Shape, First extends number, Last extends number, C extends 0[] = [], B extends Shape = [], M extends Shape = [], A extends Shape = []> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? (C['length'] extends First ? Cut<R, -1, Last, [...C, 0], B, [H], A>
      : [M] extends [[]] ? Cut<R, First, Last, [...C, 0], [...B, H], M, A>
      : [Lt<Last, C['length']>] extends [true] ? Cut<R, First, Last, [...C, 0], B, M, [...A, H]>
      : Cut<R, First, Last, [...C, 0], B, [...M, H], A>)
    : [B, M, A];
/** Axes First..Last of S merged into one (torch.flatten), given normalised First <= Last. */
export type Flattened<S extends Shape, First extends number, Last extends number> =
  Cut<S, First, Last> extends [infer B extends Shape, infer M extends Shape, infer A extends Shape] ? [...B, ProductOf<M>, ...A] : never;
/** Shape of torch.flatten(x, start, end) (a 0-d tensor flattens to [1]), or the ShapeError. */
export type FlattenResult<S extends Shape, Start extends number, End extends number> =
  IsTuple<S> extends false ? number[]
  : S extends readonly [] ? FlattenResult<[1], Start, End>
  : [DimsError<S>] extends [never]
    ? (NormalizeAxis<Start, S['length']> extends infer X extends number
      ? (NormalizeAxis<End, S['length']> extends infer Y extends number
        ? (number extends X | Y ? number[]
          : Lt<Y, X> extends true ? ShapeError<`flatten: start axis ${Start} comes after end axis ${End} of ${FormatShape<S>}`>
          : Flattened<S, X, Y>)
        : NormalizeAxis<End, S['length']>)
      : NormalizeAxis<Start, S['length']>)
    : DimsError<S>;
/** `unknown` when the flatten is valid. */
export type CheckFlatten<S extends Shape, Start extends number, End extends number> = FlattenResult<S, Start, End> extends infer R ? CheckOf<R> : never;
/** Shape after flatten (`never` if invalid). */
export type Flatten<S extends Shape, Start extends number, End extends number> = ValidShape<FlattenResult<S, Start, End>>;

// ---------------------------------------------------------------------------
// pad / split

/** numpy's pad widths: one [before, after] pair per axis. */
export type PadWidths = readonly (readonly [number, number])[];
// First width that is not a non-negative safe integer (K counts the axis), else never.
type PadWidthError<W extends PadWidths, K extends 0[] = []> =
  W extends readonly [readonly [infer B extends number, infer A extends number], ...infer R extends PadWidths]
    ? (IsNatural<B> extends false ? (number extends B ? PadWidthError<R, [...K, 0]> : ShapeError<`pad width ${B} on axis ${K['length']} is not a non-negative safe integer`>)
      : IsNatural<A> extends false ? (number extends A ? PadWidthError<R, [...K, 0]> : ShapeError<`pad width ${A} on axis ${K['length']} is not a non-negative safe integer`>)
      : PadWidthError<R, [...K, 0]>)
    : never;
/**
 * `unknown` when W holds one [before, after] pair of non-negative integers per axis of S, else the
 * error. It needs only S's rank, so it holds for generic dims too.
 */
export type CheckPad<S extends Shape, W extends PadWidths> =
  [IsTuple<S>, number extends W['length'] ? false : true] extends [true, true]
    ? ([W['length']] extends [S['length']]
      ? ([PadWidthError<W>] extends [never] ? unknown : PadWidthError<W>)
      : ShapeError<`pad needs one [before, after] per axis: ${W['length']} for ${FormatShape<S>}`>)
    : unknown;
// A dim grown by [before, after] (kept as it is for [0, 0]).
type PadDim<D extends number, W> = W extends readonly [0, 0] ? D : W extends readonly [infer B extends number, infer A extends number] ? Add<Add<D, B>, A> : never;
/** S with each axis grown by its [before, after] widths (an expression of Add for generic dims). */
export type Padded<S extends Shape, W extends PadWidths> = { -readonly [K in keyof S]: K extends keyof W ? PadDim<S[K], W[K]> : S[K] };

// The part widths of a dim D cut at the increasing indices I (checked), then the rest.
type SplitWidths<D extends number, I extends readonly number[], S extends Shape, X extends number, Idx extends readonly number[], Prev extends number = 0, Acc extends readonly number[] = []> =
  I extends readonly [infer H extends number, ...infer R extends readonly number[]]
    ? (Sub<H, 0> extends ShapeError<string> ? Sub<H, 0>
      : number extends D ? SplitWidths<D, R, S, X, Idx, H, [...Acc, Sub<H, Prev> & number]>
      : Lt<D, H> extends true ? ShapeError<`split index ${H} exceeds dim ${D} on axis ${X} of ${FormatShape<S>}`>
      : Lt<H, Prev> extends true ? ShapeError<`split indices ${FormatShape<Idx>} are not in increasing order`>
      : SplitWidths<D, R, S, X, Idx, H, [...Acc, Sub<H, Prev> & number]>)
    : [...Acc, Sub<D, Prev> & number];
type Parts<S extends Shape, X extends number, W extends readonly number[]> = { -readonly [K in keyof W]: SpliceAt<S, X, [W[K] & number]> };
/** The parts' shapes of numpy's split: N equal sections, or cuts at the given indices; or the ShapeError. */
export type SplitResult<S extends Shape, Spec extends number | readonly number[], Axis extends number> =
  IsTuple<S> extends false ? number[][]
  : [DimsError<S>] extends [never]
    ? (NormalizeAxis<Axis, S['length']> extends infer X extends number
      ? (Spec extends readonly number[]
        ? (IsTuple<Spec> extends false ? SpliceAt<S, X, [number]>[]
          : SplitWidths<S[X], Spec, S, X, Spec> extends infer W extends readonly number[] ? Parts<S, X, W> : SplitWidths<S[X], Spec, S, X, Spec>)
        : number extends Spec ? SpliceAt<S, X, [number]>[]
        : [PositiveError<Spec & number, 'split sections'>] extends [never]
          ? (DivExact<S[X], Spec & number, `split: ${Spec & number} sections do not divide dim ${S[X]} on axis ${X} of ${FormatShape<S>}`> extends infer W extends number
            ? Parts<S, X, Repeat<Spec & number, W>>
            : DivExact<S[X], Spec & number, `split: ${Spec & number} sections do not divide dim ${S[X]} on axis ${X} of ${FormatShape<S>}`>)
          : PositiveError<Spec & number, 'split sections'>)
      : NormalizeAxis<Axis, S['length']>)
    : DimsError<S>;
// The part widths of a dim D cut at literal indices I (D may be generic: the last is `Sub<D, …>`).
type CutWidths<D extends number, I extends readonly number[], Prev extends number = 0, Acc extends readonly number[] = []> =
  I extends readonly [infer H extends number, ...infer R extends readonly number[]] ? CutWidths<D, R, H, [...Acc, Sub<H, Prev>]> : [...Acc, Sub<D, Prev>];
/**
 * The parts' shapes of numpy's split of S along axis X for a literal Spec, computed structurally so
 * that generic dims stay expressions: N sections of `Div<D, N>`, or the widths between the cuts.
 */
export type SplitParts<S extends Shape, Spec extends number | readonly number[], X extends number> =
  (Spec extends readonly number[] ? CutWidths<S[X], Spec> : Spec extends number ? Repeat<Spec, Div<S[X], Spec>> : never) extends infer W extends readonly number[]
    ? { -readonly [K in keyof W]: SpliceAt<S, X, [W[K]]> }
    : never;

/** `unknown` when the split is valid. */
export type CheckSplit<S extends Shape, Spec extends number | readonly number[], Axis extends number> = SplitResult<S, Spec, Axis> extends infer R ? CheckOf<R> : never;
/** The parts' shapes (`never` if invalid). */
export type Split<S extends Shape, Spec extends number | readonly number[], Axis extends number> =
  SplitResult<S, Spec, Axis> extends infer R extends readonly Shape[] ? R : never;

// ---------------------------------------------------------------------------
// arange

type IsNatural<N extends number> = Sub<N, 0> extends number ? (number extends N ? false : true) : false;
/** ceil(A / B) for literal naturals (B > 0). */
type CeilDiv<A extends number, B extends number> =
  DivExact<Sub<A, Mod<A, B> & number> & number, B, ''> extends infer Q extends number ? (Eq<Mod<A, B> & number, 0> extends true ? Q : Add<Q, 1>) : number;
/** numpy's arange length, max(0, ceil((stop - start) / step)): a literal for natural literals, else `number`. */
export type ArangeLength<Start extends number, Stop extends number, Step extends number> =
  [IsNatural<Start>, IsNatural<Stop>, IsNatural<Step>] extends [true, true, true]
    ? (Eq<Step, 0> extends true ? number : Lt<Stop, Start> extends true ? 0 : CeilDiv<Sub<Stop, Start> & number, Step> & number)
    : number;
