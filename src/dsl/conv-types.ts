// Convolution and pooling shapes as types: the output height and width from literal sizes,
// ⌊(N + 2p − d(k−1) − 1) / s⌋ + 1, with digit-by-digit arithmetic (shape-types.ts), and the
// channel / group checks, each a sentence naming the numbers (conv-rules.ts throws the same ones).
//
// Generic code: a dim that is a type parameter stays an expression (`WindowCount<H, 3, 1, 1, 1>`)
// that tsc carries along but cannot simplify, so generic code type-checks where the facts are
// structural — the channel count shared by x and w (the same type parameter), the batch, the
// output channels — and does not prove arithmetic facts (that a 3×3, stride 1, padding 1 conv
// keeps H): a literal shape gets the number.
import type { ShapeError } from './shape-error.js';
import type { Add, CheckLiteral, CheckOf, Eq, FormatShape, Lt, Mod, Mul, Shape, Sub, Div, ValidShape } from './shape-types.js';

/** conv2d's options (PyTorch's, one number for both spatial axes). */
export interface ConvOptions {
  readonly stride?: number;
  readonly padding?: number;
  readonly dilation?: number;
  readonly groups?: number;
}

/** Pooling options; `stride` defaults to the kernel size (PyTorch's and JAX's convention). */
export interface PoolOptions {
  readonly stride?: number;
  readonly padding?: number;
}

/** The option `K` of `O` as a literal type, `Def` when absent. */
export type OptionOf<O, K extends string, Def extends number> = O extends { readonly [P in K]: infer V extends number } ? V : Def;

/** Span of a kernel of size K with dilation D: d(k − 1) + 1. */
export type KernelSpan<K extends number, D extends number> = Add<Mul<D, Sub<K, 1>>, 1>;

/** Windows along an axis of size N: ⌊(N + 2P − span) / S⌋ + 1, or the error naming the numbers. */
export type WindowCount<N extends number, K extends number, S extends number, P extends number, D extends number, Op extends string = 'conv2d', Axis extends string = 'height'> =
  number extends N | K | S | P | D ? number
  : Add<N, Mul<2, P>> extends infer Padded extends number
    ? KernelSpan<K, D> extends infer Span extends number
      ? Lt<Padded, Span> extends true
        ? ShapeError<`${Op}: the window ${Span} (kernel ${K}, dilation ${D}) exceeds the padded ${Axis} ${Padded}`>
        : Eq<S, 0> extends true ? ShapeError<`${Op}: stride 0 is not positive`>
        : Sub<Padded, Span> extends infer R extends number ? Add<Div<Sub<R, Mod<R, S>>, S>, 1> : never
      : KernelSpan<K, D>
    : Add<N, Mul<2, P>>;

/**
 * Transposed-conv size along an axis: (N − 1)s − 2p + d(k − 1) + outputPadding + 1, or the error
 * naming the numbers: an output padding not below the stride or the dilation, or padding that
 * leaves an empty output (conv-rules.ts throws the same sentences).
 */
export type TransposedSize<N extends number, K extends number, S extends number, P extends number, D extends number, OP extends number> =
  number extends N | K | S | P | D | OP ? number
  : [Lt<OP, S> | Lt<OP, D>] extends [false] ? ShapeError<`convTranspose2d: outputPadding ${OP} must be a non-negative integer below the stride or the dilation`>
  : Add<Add<Mul<Sub<N, 1>, S>, KernelSpan<K, D>>, OP> extends infer Full extends number
    ? Lt<Mul<2, P>, Full> extends true ? Sub<Full, Mul<2, P>> : ShapeError<`convTranspose2d: padding ${P} leaves an empty output`>
    : Add<Add<Mul<Sub<N, 1>, S>, KernelSpan<K, D>>, OP>;

type TransposedOf<N extends number, K extends number, O> =
  TransposedSize<N, K, OptionOf<O, 'stride', 1>, OptionOf<O, 'padding', 0>, OptionOf<O, 'dilation', 1>, OptionOf<O, 'outputPadding', 0>>;
/** One convTranspose2d output dim (a generic dim stays an expression). */
export type TransposedDim<N extends number, K extends number, O> = Extract<TransposedOf<N, K, O>, number>;
/** `unknown` when convTranspose2d's output is non-empty (or a dim is generic), else the error naming the numbers. */
export type CheckTransposed<H extends number, W extends number, KH extends number, KW extends number, O> =
  CheckLiteral<
    TransposedOf<H, KH, O> extends infer OH ? (TransposedOf<W, KW, O> extends infer OW ? (OH extends number ? (OW extends number ? [OH, OW] : OW) : OH) : never) : never,
    H | W | KH | KW | OptionOf<O, 'stride', 1> | OptionOf<O, 'padding', 0> | OptionOf<O, 'dilation', 1> | OptionOf<O, 'outputPadding', 0>
  >;

type Divides<A extends number, B extends number> = number extends A | B ? true : Eq<B, 0> extends true ? false : Mod<A, B> extends 0 ? true : false;
type Spatial<H extends number, W extends number, KH extends number, KW extends number, O, Op extends string, Def extends number> =
  WindowCount<H, KH, OptionOf<O, 'stride', Def>, OptionOf<O, 'padding', 0>, OptionOf<O, 'dilation', 1>, Op, 'height'> extends infer OH
    ? WindowCount<W, KW, OptionOf<O, 'stride', Def>, OptionOf<O, 'padding', 0>, OptionOf<O, 'dilation', 1>, Op, 'width'> extends infer OW
      ? OH extends number ? (OW extends number ? [OH, OW] : OW) : OH
      : never
    : never;

/**
 * `unknown` when the kH×kW windows fit H×W (literal sizes; while one is generic it passes), else the
 * error naming the numbers: the argument check of the overloads for generic code (CheckLiteral).
 */
export type CheckWindows<H extends number, W extends number, KH extends number, KW extends number, O, Op extends string, Def extends number> =
  CheckLiteral<Spatial<H, W, KH, KW, O, Op, Def>, H | W | KH | KW | OptionOf<O, 'stride', Def> | OptionOf<O, 'padding', 0> | OptionOf<O, 'dilation', 1>>;

/** conv2d of x [B, C, H, W] with w [O, C/groups, kH, kW]: [B, O, OH, OW], or the error. */
export type Conv2dResult<X extends Shape, W extends Shape, O> =
  X extends readonly [infer B extends number, infer C extends number, infer H extends number, infer Wd extends number]
    ? W extends readonly [infer Out extends number, infer CG extends number, infer KH extends number, infer KW extends number]
      ? OptionOf<O, 'groups', 1> extends infer G extends number
        ? Divides<C, G> extends false ? ShapeError<`conv2d: groups ${G} do not divide the input channels ${C}`>
        : Divides<Out, G> extends false ? ShapeError<`conv2d: groups ${G} do not divide the output channels ${Out}`>
        : Eq<Mul<CG, G>, C> extends false ? ShapeError<`conv2d: x has ${C} channels but w ${FormatShape<W>} with groups ${G} expects ${Mul<CG, G>}`>
        : Spatial<H, Wd, KH, KW, O, 'conv2d', 1> extends infer HW ? (HW extends [infer OH extends number, infer OW extends number] ? [B, Out, OH, OW] : HW) : never
        : never
      : ShapeError<`conv2d needs w [out, in/groups, kH, kW], got ${FormatShape<W>}`>
    : ShapeError<`conv2d needs x [batch, channels, height, width], got ${FormatShape<X>}`>;
/** `unknown` when conv2d(x: X, w: W, options: O) is valid, else its error. */
export type CheckConv2d<X extends Shape, W extends Shape, O> = Conv2dResult<X, W, O> extends infer R ? CheckOf<R> : never;
/** conv2d's output shape (`never` if invalid). */
export type Conv2d<X extends Shape, W extends Shape, O> = ValidShape<Conv2dResult<X, W, O>>;
/** One conv output dim for code generic over its dims (a `number` literal-free dim passes). */
export type ConvDim<N extends number, K extends number, O, Op extends string = 'conv2d', Def extends number = 1> =
  Extract<WindowCount<N, K, OptionOf<O, 'stride', Def>, OptionOf<O, 'padding', 0>, OptionOf<O, 'dilation', 1>, Op>, number>;

/** Pooling x [B, C, H, W] with a K×K window: [B, C, OH, OW] (stride defaults to K), or the error. */
export type Pool2dResult<X extends Shape, K extends number, O, Op extends string> =
  X extends readonly [infer B extends number, infer C extends number, infer H extends number, infer W extends number]
    ? Spatial<H, W, K, K, O, Op, K> extends infer HW ? (HW extends [infer OH extends number, infer OW extends number] ? [B, C, OH, OW] : HW) : never
    : ShapeError<`${Op} needs x [batch, channels, height, width], got ${FormatShape<X>}`>;
export type CheckPool2d<X extends Shape, K extends number, O, Op extends string> = Pool2dResult<X, K, O, Op> extends infer R ? CheckOf<R> : never;
export type Pool2d<X extends Shape, K extends number, O, Op extends string> = ValidShape<Pool2dResult<X, K, O, Op>>;
