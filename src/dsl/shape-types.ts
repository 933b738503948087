// Type-level shapes: exact decimal arithmetic on numeric-literal dims, and per op
// a result type and a check type. A result type is the output shape, or a
// `ShapeError<"sentence">` when the op is invalid; a check type is `unknown` when
// valid, else that error, so a signature can type an argument as `T & CheckX<...>`
// and tsc prints the sentence at the offending argument. shape-rules.ts throws the
// same sentences at runtime. A dim that is `number` (e.g. batch) always passes here.
//
// Trap for op signatures: in `f<M, K, N>(a: T<[M, K]>, b: T<[K, N]>)` K is inferred
// from both arguments, so [2,3] x [4,5] is silently accepted with K = 3 | 4 (TS 5.9
// and TS 7 alike). Write
// `b: T<[NoInfer<K>, N]>` (TS >= 5.4 and TS 7), or infer whole shapes
// (`A extends Shape, B extends Shape`) and add `& CheckMatmul<A, B>`.
import type { ShapeError } from './shape-error.js';

/** A shape: a tuple of dims, each a numeric literal or `number` (known at runtime). */
export type Shape = readonly number[];
/** A type-level number that may already be an error, so arithmetic composes. */
export type NumOrError = number | ShapeError<string>;

// ---------------------------------------------------------------------------
// Exact natural-number arithmetic on decimal digits. Tuple-length tricks hit
// TS2589/TS2799 above ~10,000; here each recursion step handles one digit.
// A recursive type's result is bound with `extends infer X` before it is passed
// on: handing it straight to a distributive conditional (`D extends Nat ? ...`)
// makes tsc compute its constraint in generic code and fail with TS2859.

type Digit = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
type Bit = 0 | 1;
/** A natural number as little-endian digits without leading zeros; [] is 0. */
type Nat = Digit[];

// AddT[carry][a][b] = [(a + b + carry) % 10, carry out]
type AddT = [
  [
    [[0,0], [1,0], [2,0], [3,0], [4,0], [5,0], [6,0], [7,0], [8,0], [9,0]],
    [[1,0], [2,0], [3,0], [4,0], [5,0], [6,0], [7,0], [8,0], [9,0], [0,1]],
    [[2,0], [3,0], [4,0], [5,0], [6,0], [7,0], [8,0], [9,0], [0,1], [1,1]],
    [[3,0], [4,0], [5,0], [6,0], [7,0], [8,0], [9,0], [0,1], [1,1], [2,1]],
    [[4,0], [5,0], [6,0], [7,0], [8,0], [9,0], [0,1], [1,1], [2,1], [3,1]],
    [[5,0], [6,0], [7,0], [8,0], [9,0], [0,1], [1,1], [2,1], [3,1], [4,1]],
    [[6,0], [7,0], [8,0], [9,0], [0,1], [1,1], [2,1], [3,1], [4,1], [5,1]],
    [[7,0], [8,0], [9,0], [0,1], [1,1], [2,1], [3,1], [4,1], [5,1], [6,1]],
    [[8,0], [9,0], [0,1], [1,1], [2,1], [3,1], [4,1], [5,1], [6,1], [7,1]],
    [[9,0], [0,1], [1,1], [2,1], [3,1], [4,1], [5,1], [6,1], [7,1], [8,1]],
  ],
  [
    [[1,0], [2,0], [3,0], [4,0], [5,0], [6,0], [7,0], [8,0], [9,0], [0,1]],
    [[2,0], [3,0], [4,0], [5,0], [6,0], [7,0], [8,0], [9,0], [0,1], [1,1]],
    [[3,0], [4,0], [5,0], [6,0], [7,0], [8,0], [9,0], [0,1], [1,1], [2,1]],
    [[4,0], [5,0], [6,0], [7,0], [8,0], [9,0], [0,1], [1,1], [2,1], [3,1]],
    [[5,0], [6,0], [7,0], [8,0], [9,0], [0,1], [1,1], [2,1], [3,1], [4,1]],
    [[6,0], [7,0], [8,0], [9,0], [0,1], [1,1], [2,1], [3,1], [4,1], [5,1]],
    [[7,0], [8,0], [9,0], [0,1], [1,1], [2,1], [3,1], [4,1], [5,1], [6,1]],
    [[8,0], [9,0], [0,1], [1,1], [2,1], [3,1], [4,1], [5,1], [6,1], [7,1]],
    [[9,0], [0,1], [1,1], [2,1], [3,1], [4,1], [5,1], [6,1], [7,1], [8,1]],
    [[0,1], [1,1], [2,1], [3,1], [4,1], [5,1], [6,1], [7,1], [8,1], [9,1]],
  ],
];

// SubT[borrow][a][b] = [(a - b - borrow) mod 10, borrow out]
type SubT = [
  [
    [[0,0], [9,1], [8,1], [7,1], [6,1], [5,1], [4,1], [3,1], [2,1], [1,1]],
    [[1,0], [0,0], [9,1], [8,1], [7,1], [6,1], [5,1], [4,1], [3,1], [2,1]],
    [[2,0], [1,0], [0,0], [9,1], [8,1], [7,1], [6,1], [5,1], [4,1], [3,1]],
    [[3,0], [2,0], [1,0], [0,0], [9,1], [8,1], [7,1], [6,1], [5,1], [4,1]],
    [[4,0], [3,0], [2,0], [1,0], [0,0], [9,1], [8,1], [7,1], [6,1], [5,1]],
    [[5,0], [4,0], [3,0], [2,0], [1,0], [0,0], [9,1], [8,1], [7,1], [6,1]],
    [[6,0], [5,0], [4,0], [3,0], [2,0], [1,0], [0,0], [9,1], [8,1], [7,1]],
    [[7,0], [6,0], [5,0], [4,0], [3,0], [2,0], [1,0], [0,0], [9,1], [8,1]],
    [[8,0], [7,0], [6,0], [5,0], [4,0], [3,0], [2,0], [1,0], [0,0], [9,1]],
    [[9,0], [8,0], [7,0], [6,0], [5,0], [4,0], [3,0], [2,0], [1,0], [0,0]],
  ],
  [
    [[9,1], [8,1], [7,1], [6,1], [5,1], [4,1], [3,1], [2,1], [1,1], [0,1]],
    [[0,0], [9,1], [8,1], [7,1], [6,1], [5,1], [4,1], [3,1], [2,1], [1,1]],
    [[1,0], [0,0], [9,1], [8,1], [7,1], [6,1], [5,1], [4,1], [3,1], [2,1]],
    [[2,0], [1,0], [0,0], [9,1], [8,1], [7,1], [6,1], [5,1], [4,1], [3,1]],
    [[3,0], [2,0], [1,0], [0,0], [9,1], [8,1], [7,1], [6,1], [5,1], [4,1]],
    [[4,0], [3,0], [2,0], [1,0], [0,0], [9,1], [8,1], [7,1], [6,1], [5,1]],
    [[5,0], [4,0], [3,0], [2,0], [1,0], [0,0], [9,1], [8,1], [7,1], [6,1]],
    [[6,0], [5,0], [4,0], [3,0], [2,0], [1,0], [0,0], [9,1], [8,1], [7,1]],
    [[7,0], [6,0], [5,0], [4,0], [3,0], [2,0], [1,0], [0,0], [9,1], [8,1]],
    [[8,0], [7,0], [6,0], [5,0], [4,0], [3,0], [2,0], [1,0], [0,0], [9,1]],
  ],
];

// MulT[a][b] = [(a * b) % 10, floor(a * b / 10)]
type MulT = [
  [[0,0], [0,0], [0,0], [0,0], [0,0], [0,0], [0,0], [0,0], [0,0], [0,0]],
  [[0,0], [1,0], [2,0], [3,0], [4,0], [5,0], [6,0], [7,0], [8,0], [9,0]],
  [[0,0], [2,0], [4,0], [6,0], [8,0], [0,1], [2,1], [4,1], [6,1], [8,1]],
  [[0,0], [3,0], [6,0], [9,0], [2,1], [5,1], [8,1], [1,2], [4,2], [7,2]],
  [[0,0], [4,0], [8,0], [2,1], [6,1], [0,2], [4,2], [8,2], [2,3], [6,3]],
  [[0,0], [5,0], [0,1], [5,1], [0,2], [5,2], [0,3], [5,3], [0,4], [5,4]],
  [[0,0], [6,0], [2,1], [8,1], [4,2], [0,3], [6,3], [2,4], [8,4], [4,5]],
  [[0,0], [7,0], [4,1], [1,2], [8,2], [5,3], [2,4], [9,4], [6,5], [3,6]],
  [[0,0], [8,0], [6,1], [4,2], [2,3], [0,4], [8,4], [6,5], [4,6], [2,7]],
  [[0,0], [9,0], [8,1], [7,2], [6,3], [5,4], [4,5], [3,6], [2,7], [1,8]],
];

type Hd<A extends Nat> = A extends [infer H extends Digit, ...Nat] ? H : 0;
type Tl<A extends Nat> = A extends [Digit, ...infer T extends Nat] ? T : [];
type Trim<A extends Nat> = A extends [...infer R extends Nat, 0] ? Trim<R> : A;

type AddNat<A extends Nat, B extends Nat, C extends Bit = 0, Acc extends Nat = []> =
  [A, B] extends [[], []]
    ? (C extends 1 ? [...Acc, 1] : Acc)
    : AddNat<Tl<A>, Tl<B>, AddT[C][Hd<A>][Hd<B>][1], [...Acc, AddT[C][Hd<A>][Hd<B>][0]]>;

/** a - b, or `false` when negative. */
type SubNat<A extends Nat, B extends Nat, W extends Bit = 0, Acc extends Nat = []> =
  A extends [infer D extends Digit, ...infer R extends Nat]
    ? SubNat<R, Tl<B>, SubT[W][D][Hd<B>][1], [...Acc, SubT[W][D][Hd<B>][0]]>
    : [B, W] extends [[], 0] ? Trim<Acc> : false;

type LteNat<A extends Nat, B extends Nat> = SubNat<B, A> extends false ? false : true;
type LtNat<A extends Nat, B extends Nat> = SubNat<A, B> extends false ? true : false;

// a * d for one digit d: out digit = lo(x*d) + carry; next carry = hi(x*d) + that sum's carry (<= 8).
type MulDigit<A extends Nat, D extends Digit, C extends Digit = 0, Acc extends Nat = []> =
  A extends [infer X extends Digit, ...infer R extends Nat]
    ? MulDigit<R, D,
        AddT[AddT[0][MulT[X][D][0]][C][1]][MulT[X][D][1]][0][0],
        [...Acc, AddT[0][MulT[X][D][0]][C][0]]>
    : (C extends 0 ? Acc : [...Acc, C]);

// Horner over b's digits, most significant first: acc = acc * 10 + a * digit.
type MulNat<A extends Nat, B extends Nat, Acc extends Nat = []> =
  B extends [...infer R extends Nat, infer D extends Digit]
    ? (AddNat<Acc extends [] ? [] : [0, ...Acc], D extends 0 ? [] : MulDigit<A, D>> extends infer S extends Nat
      ? MulNat<A, R, S> : never)
    : Acc;

type Inc = [1, 2, 3, 4, 5, 6, 7, 8, 9, 9];
// Subtract b from r while it fits (at most 9 times): [quotient digit, remainder].
type Fit<R extends Nat, B extends Nat, Q extends Digit = 0> =
  SubNat<R, B> extends infer S extends Nat ? Fit<S, B, Inc[Q]> : [Q, R];
// Long division (b must not be 0), one digit of a brought down per step: [quotient, remainder].
type DivModNat<A extends Nat, B extends Nat, Q extends Nat = [], R extends Nat = []> =
  A extends [...infer Rest extends Nat, infer D extends Digit]
    ? (Fit<R extends [] ? (D extends 0 ? [] : [D]) : [D, ...R], B> extends [infer QD extends Digit, infer RR extends Nat]
      ? DivModNat<Rest, B, [QD, ...Q], RR>
      : never)
    : [Trim<Q>, R];

type StrToNat<S extends string, Acc extends Nat = []> =
  S extends `${infer D extends Digit}${infer R}` ? StrToNat<R, [D, ...Acc]>
  : S extends '' ? Trim<Acc> : false;
type NatToStr<A extends Nat, S extends string = ''> =
  A extends [infer D extends Digit, ...infer R extends Nat] ? NatToStr<R, `${D}${S}`>
  : S extends '' ? '0' : S;
type NatToNum<A extends Nat> = NatToStr<A> extends `${infer N extends number}` ? N : never;

/** 9007199254740991 = 2^53 - 1 = Number.MAX_SAFE_INTEGER, little-endian. */
type MaxNat = [1, 9, 9, 0, 4, 7, 4, 5, 2, 9, 9, 1, 7, 0, 0, 9];

// Errors are written out as `ShapeError<...>` wherever they are produced: an alias
// whose body is `ShapeError<...>` would print as its own name instead of the message.

/** Digits of a literal in [0, 2^53 - 1], else an error naming `Subject`. */
type ToNat<N extends number, Subject extends string = `${N}`> =
  (StrToNat<`${N}`> extends infer D extends Nat ? (LteNat<D, MaxNat> extends true ? D : false) : false) extends infer D extends Nat
    ? D : ShapeError<`${Subject} is not a non-negative safe integer`>;
type IsNat<N extends number> = ToNat<N> extends Nat ? true : false;
/** Digits back to a literal, or `ShapeError<Msg>` above 2^53 - 1 (never widened to `number`). */
type SafeNum<D, Msg extends string> =
  D extends Nat ? (LteNat<D, MaxNat> extends true ? NatToNum<D> : ShapeError<Msg>) : never;
/** Both operands as digits, or the first operand's error. */
type Nats2<A extends number, B extends number> =
  ToNat<A> extends infer X extends Nat
    ? (ToNat<B> extends infer Y extends Nat ? [X, Y] : ToNat<B>)
    : ToNat<A>;

// Each public op: an error operand is passed through; a `number` operand gives `number`.
// They distribute over A and B, which is also what lets generic code such as
// `Tensor<[Mul<3, E>, E]>` (E extends number) satisfy `Shape`: tsc checks Mul<3, number>.

/** Exact a + b; an error above 2^53 - 1. */
export type Add<A extends NumOrError, B extends NumOrError> =
  A extends number ? B extends number ? number extends A | B ? number
    : Nats2<A, B> extends [infer X extends Nat, infer Y extends Nat]
      ? (AddNat<X, Y> extends infer D ? SafeNum<D, `sum ${A} + ${B} exceeds 2^53 - 1`> : never)
      : Nats2<A, B>
  : B : A;

/** Exact a - b; an error when negative. */
export type Sub<A extends NumOrError, B extends NumOrError> =
  A extends number ? B extends number ? number extends A | B ? number
    : Nats2<A, B> extends [infer X extends Nat, infer Y extends Nat]
      ? (SubNat<X, Y> extends infer D extends Nat ? NatToNum<D> : ShapeError<`difference ${A} - ${B} is negative`>)
      : Nats2<A, B>
  : B : A;

/** Exact a * b; an error above 2^53 - 1. */
export type Mul<A extends NumOrError, B extends NumOrError> =
  A extends number ? B extends number ? number extends A | B ? number
    : Nats2<A, B> extends [infer X extends Nat, infer Y extends Nat]
      ? (MulNat<X, Y> extends infer D ? SafeNum<D, `product ${A} * ${B} exceeds 2^53 - 1`> : never)
      : Nats2<A, B>
  : B : A;

/** a / b with the given message for a remainder (A, B plain numbers). */
export type DivExact<A extends number, B extends number, Msg extends string> =
  number extends A | B ? number
  : Nats2<A, B> extends [infer X extends Nat, infer Y extends Nat]
    ? (Y extends [] ? ShapeError<`division by zero: ${A} / ${B}`>
      : DivModNat<X, Y> extends [infer Q extends Nat, []] ? NatToNum<Q> : ShapeError<Msg>)
    : Nats2<A, B>;

/** Exact a / b: a remainder is an error, never rounded. */
export type Div<A extends NumOrError, B extends NumOrError> =
  A extends number ? B extends number ? DivExact<A, B, `${A} is not divisible by ${B}`> : B : A;

/** a mod b; an error when b is 0. */
export type Mod<A extends NumOrError, B extends NumOrError> =
  A extends number ? B extends number ? number extends A | B ? number
    : Nats2<A, B> extends [infer X extends Nat, infer Y extends Nat]
      ? (Y extends [] ? ShapeError<`division by zero: ${A} / ${B}`>
        : DivModNat<X, Y> extends [Nat, infer R extends Nat] ? NatToNum<R> : never)
      : Nats2<A, B>
  : B : A;

/** `true` / `false` for literals, `boolean` if either is `number`. */
export type Eq<A extends NumOrError, B extends NumOrError> =
  A extends number ? B extends number ? number extends A | B ? boolean
    : [A] extends [B] ? ([B] extends [A] ? true : false) : false
  : B : A;

/** a < b; `boolean` if either is `number`. */
export type Lt<A extends NumOrError, B extends NumOrError> =
  A extends number ? B extends number ? number extends A | B ? boolean
    : Nats2<A, B> extends [infer X extends Nat, infer Y extends Nat] ? LtNat<X, Y> : Nats2<A, B>
  : B : A;

// ---------------------------------------------------------------------------
// Shape helpers

type DimStr<D extends number> = number extends D ? 'number' : `${D}`;
type JoinDims<S extends Shape, Acc extends string = ''> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? JoinDims<R, Acc extends '' ? DimStr<H> : `${Acc},${DimStr<H>}`>
    : Acc;
/** A shape as messages print it: `[2,3]` (a dynamic dim prints as `number`). */
export type FormatShape<S extends Shape> = number extends S['length'] ? '[...]' : `[${JoinDims<S>}]`;

// Each CheckX below is its own conditional (`XResult<...> extends infer R ? CheckOf<R> : never`),
// not a bare alias of CheckOf, so generic code and its errors show it by name.
/** `unknown` when a result type is valid, else its `ShapeError`. */
export type CheckOf<R> =
  [R] extends [infer X] ? ([Extract<X, ShapeError<string>>] extends [never] ? unknown : Extract<X, ShapeError<string>>) : never;
/** The shape of a valid result, `never` for an error (so `Tensor<...>` accepts it in generic code). */
export type ValidShape<R> = [R] extends [infer X] ? Extract<X, Shape> : never;

export type IsTuple<S extends Shape> = number extends S['length'] ? false : true;
/** Does the shape hold a dynamic (`number`) dim? (Also true for non-tuples.) */
type HasDynamic<S extends Shape> = number extends S[number] ? true : false;

// First bad literal dim of a shape (negative, fractional, > 2^53 - 1), else never.
// Dims equal to Allow (reshape's -1) are skipped.
export type DimsError<S extends Shape, Allow = never, All extends Shape = S> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? (number extends H ? DimsError<R, Allow, All>
      : [H] extends [Allow] ? DimsError<R, Allow, All>
      : IsNat<H> extends true ? DimsError<R, Allow, All>
      : ShapeError<`dim ${H} in ${FormatShape<All>} is not a non-negative safe integer`>)
    : never;
export type DimsError2<A extends Shape, B extends Shape> = [DimsError<A>] extends [never] ? DimsError<B> : DimsError<A>;
/** `unknown` when every literal dim is an integer in [0, 2^53 - 1]. */
export type CheckDims<S extends Shape> = [DimsError<S>] extends [never] ? unknown : DimsError<S>;

/** Replace element I with the elements of Repl (C counts the index). */
export type SpliceAt<S extends Shape, I extends number, Repl extends Shape, C extends 0[] = [], Acc extends Shape = []> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? SpliceAt<R, I, Repl, [...C, 0], C['length'] extends I ? [...Acc, ...Repl] : [...Acc, H]>
    : Acc;

/** Two dims that must agree: the known one if the other is `number`, `false` on a mismatch. */
export type UnifyDim<A extends number, B extends number> =
  number extends A ? B : number extends B ? A : [A] extends [B] ? A : false;
export type UnifyDims<A extends Shape, B extends Shape, Acc extends Shape = []> =
  [A, B] extends [readonly [infer X extends number, ...infer RA extends Shape], readonly [infer Y extends number, ...infer RB extends Shape]]
    ? (UnifyDim<X, Y> extends infer D extends number ? UnifyDims<RA, RB, [...Acc, D]> : false)
    : [A, B] extends [readonly [], readonly []] ? Acc : false;

/** Element count (product of the dims); `number` if any dim is; an error above 2^53 - 1. */
export type Product<S extends Shape> =
  [DimsError<S>] extends [never]
    ? (HasDynamic<S> extends true ? number : ProductNat<S, [1], S>)
    : DimsError<S>;
type ProductNat<S extends Shape, Acc extends Nat, All extends Shape> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? (ToNat<H> extends infer D extends Nat
      ? (MulNat<Acc, D> extends infer P extends Nat
        ? (LteNat<P, MaxNat> extends true ? ProductNat<R, P, All>
          : ShapeError<`shape ${FormatShape<All>} has more than 2^53 - 1 elements`>)
        : never)
      : never)
    : NatToNum<Acc>;

// ---------------------------------------------------------------------------
// Axes

// Axis as [negative?, |axis| digits], or false if not an integer in the safe range.
type AxisParts<Axis extends number> =
  `${Axis}` extends `-${infer P}`
    ? (StrToNat<P> extends infer D extends Nat ? (LteNat<D, MaxNat> extends true ? [true, D] : false) : false)
    : (StrToNat<`${Axis}`> extends infer D extends Nat ? (LteNat<D, MaxNat> extends true ? [false, D] : false) : false);

/** Axis in [-rank, rank) normalised to [0, rank) (-1 is the last axis), else an error. */
export type NormalizeAxis<Axis extends number, Rank extends number> =
  number extends Axis | Rank ? number
  : AxisParts<Axis> extends [infer Neg extends boolean, infer D extends Nat]
    ? (ToNat<Rank> extends infer R extends Nat
      ? (Neg extends true
        ? (SubNat<R, D> extends infer X extends Nat ? NatToNum<X> : ShapeError<`axis ${Axis} is out of range for rank ${Rank}`>)
        : (LtNat<D, R> extends true ? Axis : ShapeError<`axis ${Axis} is out of range for rank ${Rank}`>))
      : never)
    : ShapeError<`axis ${Axis} is not an integer`>;

/** Normalised axis of S, or the error (the shape's dims are validated first). */
type AxisOf<S extends Shape, Axis extends number> =
  [DimsError<S>] extends [never] ? NormalizeAxis<Axis, S['length']> : DimsError<S>;
/** `unknown` when Axis is a valid axis of S (reductions, softmax). */
export type CheckAxis<S extends Shape, Axis extends number> = AxisOf<S, Axis> extends infer R ? CheckOf<R> : never;

// ---------------------------------------------------------------------------
// Elementwise broadcasting (NumPy): trailing dims align; 1 stretches; `number` matches anything.

/** Two dims broadcast (equal, or one of them 1), `false` when they do not. */
export type BroadcastDim<A extends number, B extends number> =
  [A] extends [1] ? B : [B] extends [1] ? A : UnifyDim<A, B>;
type BroadcastLoop<A extends Shape, B extends Shape, FA extends Shape, FB extends Shape, Acc extends Shape = []> =
  A extends readonly [...infer RA extends Shape, infer X extends number]
    ? (B extends readonly [...infer RB extends Shape, infer Y extends number]
      ? (BroadcastDim<X, Y> extends infer D extends number
        ? BroadcastLoop<RA, RB, FA, FB, [D, ...Acc]>
        : ShapeError<`shapes ${FormatShape<FA>} and ${FormatShape<FB>} are not broadcastable (${X} vs ${Y})`>)
      : [...A, ...Acc])
    : [...B, ...Acc];
/** Shape of an elementwise op on A and B, or the ShapeError. */
export type BroadcastResult<A extends Shape, B extends Shape> =
  [IsTuple<A>, IsTuple<B>] extends [true, true]
    ? ([DimsError2<A, B>] extends [never] ? BroadcastLoop<A, B, A, B> : DimsError2<A, B>)
    : number[];
/** `unknown` when A and B broadcast. */
export type CheckBroadcast<A extends Shape, B extends Shape> = BroadcastResult<A, B> extends infer R ? CheckOf<R> : never;
/** Shape of an elementwise op on A and B (`never` if invalid: CheckBroadcast says why). */
export type Broadcast<A extends Shape, B extends Shape> = ValidShape<BroadcastResult<A, B>>;

// ---------------------------------------------------------------------------
// Matmul: [...batch, M, K] x [K, N], or x [...batch, K, N] with equal batch dims.
// transposeA / transposeB: the last two axes of that operand are swapped (a^T, b^T).

/** Matmul options as types: `{ transposeB: true }` (absent means false). */
export interface MatmulFlags {
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
}
type FlagA<O> = O extends { readonly transposeA: true } ? true : false;
type FlagB<O> = O extends { readonly transposeB: true } ? true : false;
type Operand<S extends Shape, T extends boolean> = `${FormatShape<S>}${T extends true ? '^T' : ''}`;
type MatmulParts<A extends Shape, B extends Shape, TA extends boolean, TB extends boolean,
  BA extends Shape, BB extends Shape, MK extends [number, number], KN extends [number, number]> =
  UnifyDim<MK[1], KN[0]> extends false
    ? ShapeError<`matmul inner dimensions differ: ${Operand<A, TA>} x ${Operand<B, TB>} (${MK[1]} vs ${KN[0]})`>
    : BB extends readonly []
      ? [...BA, MK[0], KN[1]]
      : UnifyDims<BA, BB> extends infer Batch extends Shape
        ? [...Batch, MK[0], KN[1]]
        : ShapeError<`matmul batch dimensions differ: ${Operand<A, TA>} x ${Operand<B, TB>} (${FormatShape<BA>} vs ${FormatShape<BB>})`>;
type MatmulChecked<A extends Shape, B extends Shape, TA extends boolean, TB extends boolean> =
  [A, B] extends [readonly [...infer BA extends Shape, infer A1 extends number, infer A2 extends number],
    readonly [...infer BB extends Shape, infer B1 extends number, infer B2 extends number]]
    ? MatmulParts<A, B, TA, TB, BA, BB, TA extends true ? [A2, A1] : [A1, A2], TB extends true ? [B2, B1] : [B1, B2]>
    : ShapeError<`matmul needs operands of rank >= 2: ${Operand<A, TA>} x ${Operand<B, TB>}`>;
/** Shape of a @ b with options O (e.g. `{ transposeB: true }`), or the ShapeError. */
export type MatmulResult<A extends Shape, B extends Shape, O extends MatmulFlags = {}> =
  [IsTuple<A>, IsTuple<B>] extends [true, true]
    ? ([DimsError2<A, B>] extends [never] ? MatmulChecked<A, B, FlagA<O>, FlagB<O>> : DimsError2<A, B>)
    : number[];
/** `unknown` when the matmul is valid. */
export type CheckMatmul<A extends Shape, B extends Shape, O extends MatmulFlags = {}> = MatmulResult<A, B, O> extends infer R ? CheckOf<R> : never;
/** Shape of a @ b (`never` if invalid). */
export type Matmul<A extends Shape, B extends Shape, O extends MatmulFlags = {}> = ValidShape<MatmulResult<A, B, O>>;

// ---------------------------------------------------------------------------
// Reshape: equal element counts; the target may hold one -1, inferred from the rest.

type CountMinusOne<S extends Shape, C extends 0[] = []> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? CountMinusOne<R, [H] extends [-1] ? [...C, 0] : C> : C['length'];
type WithoutMinusOne<S extends Shape, Acc extends Shape = []> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? WithoutMinusOne<R, [H] extends [-1] ? Acc : [...Acc, H]> : Acc;
type FillMinusOne<S extends Shape, D extends number, Acc extends Shape = []> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? FillMinusOne<R, D, [...Acc, [H] extends [-1] ? D : H]> : Acc;
type ReshapeDimsError<From extends Shape, To extends Shape> =
  [DimsError<From>] extends [never] ? DimsError<To, -1> : DimsError<From>;
type ReshapeFrom<From extends Shape, NF extends number> = `reshape from ${FormatShape<From>} (${NF} elements) to`;
type ReshapeCounts<From extends Shape, To extends Shape, NF extends number, NT extends number, Minus extends number> =
  number extends NF | NT ? FillMinusOne<To, number>
  : Minus extends 0
    ? ([NF] extends [NT] ? FillMinusOne<To, never>
      : ShapeError<`${ReshapeFrom<From, NF>} ${FormatShape<To>} (${NT} elements)`>)
    : NT extends 0
      ? ShapeError<`${ReshapeFrom<From, NF>} ${FormatShape<To>} (cannot infer -1 when the other dims multiply to 0)`>
      : DivExact<NF, NT, ''> extends infer D extends number ? FillMinusOne<To, D>
      : ShapeError<`${ReshapeFrom<From, NF>} ${FormatShape<To>} (${NF} is not divisible by ${NT})`>;
/** Shape of reshaping From to To (To may hold one -1), or the ShapeError. */
export type ReshapeResult<From extends Shape, To extends Shape> =
  IsTuple<To> extends false ? number[]
  : IsTuple<From> extends false ? FillMinusOne<To, number>
  : [ReshapeDimsError<From, To>] extends [never]
    ? (CountMinusOne<To> extends 0 | 1
      ? (Product<From> extends infer NF extends number
        ? (Product<WithoutMinusOne<To>> extends infer NT extends number
          ? ReshapeCounts<From, To, NF, NT, CountMinusOne<To>> : Product<WithoutMinusOne<To>>)
        : Product<From>)
      : ShapeError<`reshape to ${FormatShape<To>} has more than one -1`>)
    : ReshapeDimsError<From, To>;
/** `unknown` when the reshape is valid. */
export type CheckReshape<From extends Shape, To extends Shape> = ReshapeResult<From, To> extends infer R ? CheckOf<R> : never;
/** Shape after reshape (`never` if invalid). */
export type Reshape<From extends Shape, To extends Shape> = ValidShape<ReshapeResult<From, To>>;

// ---------------------------------------------------------------------------
// Transpose (last two axes) and permute.

/** Swap the last two axes, or the ShapeError. */
export type TransposeResult<S extends Shape> =
  IsTuple<S> extends false ? number[]
  : [DimsError<S>] extends [never]
    ? (S extends readonly [...infer R extends Shape, infer X extends number, infer Y extends number]
      ? [...R, Y, X] : ShapeError<`transpose needs rank >= 2, got ${FormatShape<S>}`>)
    : DimsError<S>;
/** `unknown` when S has rank >= 2. */
export type CheckTranspose<S extends Shape> = TransposeResult<S> extends infer R ? CheckOf<R> : never;
/** Shape after swapping the last two axes (`never` if invalid). */
export type Transpose<S extends Shape> = ValidShape<TransposeResult<S>>;

// An axis must be an index key of S ("0".."n-1") not seen before; `false` otherwise.
type PermuteLoop<S extends Shape, P extends readonly number[], Seen, Acc extends Shape = []> =
  P extends readonly [infer X extends number, ...infer R extends readonly number[]]
    ? (number extends X ? PermuteLoop<S, R, Seen, [...Acc, number]>
      : `${X}` extends Exclude<keyof S, keyof unknown[]>
        ? ([X] extends [Seen] ? false : PermuteLoop<S, R, Seen | X, [...Acc, S[X]]>)
        : false)
    : Acc;
/** Reorder axes, result[k] = S[P[k]] (P a permutation of 0..rank-1), or the ShapeError. */
export type PermuteResult<S extends Shape, P extends readonly number[]> =
  [IsTuple<S>, IsTuple<P>] extends [true, true]
    ? ([DimsError<S>] extends [never]
      ? ([P['length']] extends [S['length']]
        ? (PermuteLoop<S, P, never> extends infer R extends Shape ? R
          : ShapeError<`permute axes ${FormatShape<P>} are not a permutation of 0..${Sub<S['length'], 1>}`>)
        : ShapeError<`permute axes ${FormatShape<P>} do not match rank ${S['length']} of ${FormatShape<S>}`>)
      : DimsError<S>)
    : number[];
/** `unknown` when P is a permutation of S's axes. */
export type CheckPermute<S extends Shape, P extends readonly number[]> = PermuteResult<S, P> extends infer R ? CheckOf<R> : never;
/** Shape after permute (`never` if invalid). */
export type Permute<S extends Shape, P extends readonly number[]> = ValidShape<PermuteResult<S, P>>;

// ---------------------------------------------------------------------------
// Concat, slice, take.

// First axis other than Axis where A and B differ, as [axis, a, b], else false; C counts the index.
type ConcatMismatch<A extends Shape, B extends Shape, Axis extends number, C extends 0[] = []> =
  [A, B] extends [readonly [infer X extends number, ...infer RA extends Shape], readonly [infer Y extends number, ...infer RB extends Shape]]
    ? (C['length'] extends Axis ? ConcatMismatch<RA, RB, Axis, [...C, 0]>
      : UnifyDim<X, Y> extends false ? [C['length'], X, Y]
      : ConcatMismatch<RA, RB, Axis, [...C, 0]>)
    : false;
type ConcatChecked<A extends Shape, B extends Shape, Axis extends number> =
  ConcatMismatch<A, B, Axis> extends [infer I extends number, infer X extends number, infer Y extends number]
    ? ShapeError<`concat along axis ${Axis}: ${FormatShape<A>} and ${FormatShape<B>} differ at axis ${I} (${X} vs ${Y})`>
    : Add<A[Axis], B[Axis]> extends infer D extends number ? ConcatJoin<A, B, Axis, D> : Add<A[Axis], B[Axis]>;
// The joined shape: D on Axis, elsewhere the dims unified (a known dim beats `number`).
type ConcatJoin<A extends Shape, B extends Shape, Axis extends number, D extends number, Acc extends Shape = []> =
  [A, B] extends [readonly [infer X extends number, ...infer RA extends Shape], readonly [infer Y extends number, ...infer RB extends Shape]]
    ? ConcatJoin<RA, RB, Axis, D, [...Acc, Acc['length'] extends Axis ? D : UnifyDim<X, Y> & number]>
    : Acc;
/** Join A and B along Axis (other dims equal), or the ShapeError. */
export type ConcatResult<A extends Shape, B extends Shape, Axis extends number> =
  [IsTuple<A>, IsTuple<B>] extends [true, true]
    ? ([DimsError2<A, B>] extends [never]
      ? ([A['length']] extends [B['length']]
        ? (NormalizeAxis<Axis, A['length']> extends infer X extends number
          ? (number extends X ? number[] : ConcatChecked<A, B, X>) : NormalizeAxis<Axis, A['length']>)
        : ShapeError<`concat needs equal ranks: ${FormatShape<A>} and ${FormatShape<B>}`>)
      : DimsError2<A, B>)
    : number[];
/** `unknown` when the concat is valid. */
export type CheckConcat<A extends Shape, B extends Shape, Axis extends number> = ConcatResult<A, B, Axis> extends infer R ? CheckOf<R> : never;
/** Shape after concat (`never` if invalid). */
export type Concat<A extends Shape, B extends Shape, Axis extends number> = ValidShape<ConcatResult<A, B, Axis>>;

type SliceChecked<S extends Shape, X extends number, Start extends number, End extends number> =
  ToNat<Start, `slice start ${Start}`> extends infer SN extends Nat
    ? (ToNat<End, `slice end ${End}`> extends infer EN extends Nat
      ? (LteNat<SN, EN> extends false ? ShapeError<`slice start ${Start} is greater than end ${End}`>
        : SubNat<EN, SN> extends infer L extends Nat
          ? (number extends S[X] ? SpliceAt<S, X, [NatToNum<L>]>
            : ToNat<S[X]> extends infer DN extends Nat
              ? (LteNat<EN, DN> extends true ? SpliceAt<S, X, [NatToNum<L>]>
                : ShapeError<`slice [${Start}, ${End}) exceeds dim ${S[X]} on axis ${X} of ${FormatShape<S>}`>)
              : never)
          : never)
      : ToNat<End, `slice end ${End}`>)
    : ToNat<Start, `slice start ${Start}`>;
/** Keep [Start, End) along Axis (0 <= Start <= End <= dim), or the ShapeError. */
export type SliceResult<S extends Shape, Axis extends number, Start extends number, End extends number> =
  IsTuple<S> extends false ? number[]
  : AxisOf<S, Axis> extends infer X extends number
    ? (number extends X ? number[]
      : number extends Start | End ? SpliceAt<S, X, [number]>
      : SliceChecked<S, X, Start, End>)
    : AxisOf<S, Axis>;
/** `unknown` when the slice is in bounds. */
export type CheckSlice<S extends Shape, Axis extends number, Start extends number, End extends number> =
  SliceResult<S, Axis, Start, End> extends infer R ? CheckOf<R> : never;
/** Shape after slice (`never` if invalid). */
export type Slice<S extends Shape, Axis extends number, Start extends number, End extends number> =
  ValidShape<SliceResult<S, Axis, Start, End>>;

/** Pick Index along Axis and drop that axis (token 0 of [B, T, E] is [B, E]), or the ShapeError. */
export type TakeResult<S extends Shape, Axis extends number, Index extends number> =
  IsTuple<S> extends false ? number[]
  : AxisOf<S, Axis> extends infer X extends number
    ? (number extends X ? number[]
      : number extends Index ? SpliceAt<S, X, []>
      : ToNat<Index, `index ${Index}`> extends infer I extends Nat
        ? (number extends S[X] ? SpliceAt<S, X, []>
          : ToNat<S[X]> extends infer DN extends Nat
            ? (LtNat<I, DN> extends true ? SpliceAt<S, X, []>
              : ShapeError<`index ${Index} is out of range for dim ${S[X]} on axis ${X} of ${FormatShape<S>}`>)
            : never)
        : ToNat<Index, `index ${Index}`>)
    : AxisOf<S, Axis>;
/** `unknown` when Index is within the axis. */
export type CheckTake<S extends Shape, Axis extends number, Index extends number> = TakeResult<S, Axis, Index> extends infer R ? CheckOf<R> : never;
/** Shape after take (`never` if invalid). */
export type Take<S extends Shape, Axis extends number, Index extends number> = ValidShape<TakeResult<S, Axis, Index>>;

// ---------------------------------------------------------------------------
// Reductions (sum / mean / max) and softmax.

/** Reduce (sum / mean / max) over Axis: dropped, or kept as 1 with KeepDims; or the ShapeError. */
export type ReduceResult<S extends Shape, Axis extends number, KeepDims extends boolean = false> =
  IsTuple<S> extends false ? number[]
  : AxisOf<S, Axis> extends infer X extends number
    ? (number extends X ? number[] : SpliceAt<S, X, KeepDims extends true ? [1] : []>)
    : AxisOf<S, Axis>;
// First invalid or repeated axis of a list, else unknown (Seen: the normalized axes so far).
type AxesError<S extends Shape, Ax extends readonly number[], All extends readonly number[], Seen = never> =
  Ax extends readonly [infer A extends number, ...infer R extends readonly number[]]
    ? (AxisOf<S, A> extends infer X extends number
      ? ([X] extends [Seen] ? ShapeError<`axis ${A} is repeated in ${FormatShape<All>}`> : AxesError<S, R, All, Seen | X>)
      : AxisOf<S, A>)
    : unknown;
/** `unknown` when Ax (one axis or a list without repeats) holds valid axes of S. */
export type CheckAxes<S extends Shape, Ax extends number | readonly number[]> =
  Ax extends readonly number[] ? (AxesError<S, Ax, Ax> extends infer R ? CheckOf<R> : never) : CheckAxis<S, Ax & number>;
/** Shape after a reduction (`never` if invalid: CheckAxis says why). */
export type Reduce<S extends Shape, Axis extends number, KeepDims extends boolean = false> =
  ValidShape<ReduceResult<S, Axis, KeepDims>>;

/** softmax / logSoftmax over Axis keep the shape (Axis must be valid), or the ShapeError. */
export type SoftmaxResult<S extends Shape, Axis extends number = -1> =
  IsTuple<S> extends false ? S : AxisOf<S, Axis> extends number ? S : AxisOf<S, Axis>;
/** Shape after softmax / logSoftmax (`never` if invalid). */
export type Softmax<S extends Shape, Axis extends number = -1> = ValidShape<SoftmaxResult<S, Axis>>;

// ---------------------------------------------------------------------------
// Attention heads.

// V must be a positive integer (`number` passes): never, or the error naming Name.
export type PositiveError<V extends number, Name extends string> =
  number extends V ? never
  : (ToNat<V> extends infer D extends Nat ? (D extends [] ? false : true) : false) extends true ? never
  : ShapeError<`${Name} ${V} is not a positive integer`>;

/** [B, T, E] -> [B, H, T, E / H] (H divides E), or the ShapeError. */
export type SplitHeadsResult<S extends Shape, H extends number> =
  IsTuple<S> extends false ? [number, H, number, number]
  : [DimsError<S>] extends [never]
    ? (S extends readonly [infer B extends number, infer T extends number, infer E extends number]
      ? ([PositiveError<H, 'heads'>] extends [never]
        ? (HeadWidth<E, H> extends infer D extends number ? [B, H, T, D] : HeadWidth<E, H>)
        : PositiveError<H, 'heads'>)
      : ShapeError<`splitHeads needs [batch, tokens, embedDim], got ${FormatShape<S>}`>)
    : DimsError<S>;
/** `unknown` when S is [B, T, E] and H divides E. */
export type CheckSplitHeads<S extends Shape, H extends number> = SplitHeadsResult<S, H> extends infer R ? CheckOf<R> : never;
/** Shape after splitHeads (`never` if invalid). */
export type SplitHeads<S extends Shape, H extends number> = ValidShape<SplitHeadsResult<S, H>>;

/** [B, H, T, D] -> [B, T, H * D], or the ShapeError. */
export type MergeHeadsResult<S extends Shape> =
  IsTuple<S> extends false ? [number, number, number]
  : [DimsError<S>] extends [never]
    ? (S extends readonly [infer B extends number, infer H extends number, infer T extends number, infer D extends number]
      ? (Mul<H, D> extends infer E extends number ? [B, T, E] : Mul<H, D>)
      : ShapeError<`mergeHeads needs [batch, heads, tokens, headDim], got ${FormatShape<S>}`>)
    : DimsError<S>;
/** `unknown` when S has rank 4. */
export type CheckMergeHeads<S extends Shape> = MergeHeadsResult<S> extends infer R ? CheckOf<R> : never;
/** Shape after mergeHeads (`never` if invalid). */
export type MergeHeads<S extends Shape> = ValidShape<MergeHeadsResult<S>>;

// ---------------------------------------------------------------------------
// Signatures for code generic over its dims. tsc defers a conditional type that tests a dim
// which is a type parameter, so `T & CheckX<...>` never accepts generic code. Ops therefore add
// overloads that match shapes structurally (rank, positions, the very same dim type), built from
// the helpers below, and keep the CheckX overload last: literal shapes that no structural overload
// takes reach it, and tsc prints its sentence. Facts that need a dim's value (H divides E) stay in
// the result as an arithmetic type (`Div<E, H>`): generic code carries it, a literal shape gets the
// number; a structural overload that also takes `NoInfer<CheckLiteral<...>>` (built so that
// generic code passes it, see below) rejects the literal shape at the call.

type Negate<N extends number> = `-${N}` extends `${infer X extends number}` ? X : never;
type AxesBelow<N extends number, C extends 0[] = [], Acc extends number = never> =
  C['length'] extends N ? Acc : AxesBelow<N, [...C, 0], Acc | C['length'] | Negate<[...C, 0]['length']>>;
// A tuple pattern with `unknown` elements: tsc resolves it for dims that are type parameters (a
// `number` element would not be provably matched), and defers it for a variadic `[...R, D]`.
type FixedRank = readonly [] | readonly [unknown, ...unknown[]];
/** The axes of a tensor of shape S, 0..rank-1 and -rank..-1: known even when its dims are generic. */
export type AxisIndex<S extends Shape> = S extends FixedRank ? AxesBelow<S['length']> : number;
/** Axis Ax of S in [0, rank). */
export type AxisAt<S extends Shape, Ax extends number> = NormalizeAxis<Ax, S['length']> extends infer X extends number ? X : never;
type AxesAt<S extends Shape, Ax extends number | readonly number[]> =
  (Ax extends readonly number[] ? Ax[number] : Ax) extends infer A extends number ? (A extends number ? AxisAt<S, A> : never) : never;

// S without the axes in the union X, or with them set to 1 when K.
type DropAxes<S extends Shape, X extends number, K extends boolean, C extends 0[] = [], Acc extends Shape = []> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? DropAxes<R, X, K, [...C, 0], C['length'] extends X ? (K extends true ? [...Acc, 1] : Acc) : [...Acc, H]>
    : Acc;
// First axis of a list that repeats an earlier one (after normalizing), else unknown.
type RepeatedAxis<S extends Shape, Ax extends readonly number[], All extends readonly number[], Seen = never> =
  Ax extends readonly [infer A extends number, ...infer R extends readonly number[]]
    ? ([AxisAt<S, A>] extends [Seen] ? ShapeError<`axis ${A} is repeated in ${FormatShape<All>}`> : RepeatedAxis<S, R, All, Seen | AxisAt<S, A>>)
    : unknown;
/** `unknown` unless a list of axes names one twice (needs only the rank, so it holds for generic dims). */
export type CheckDistinctAxes<S extends Shape, Ax extends number | readonly number[]> =
  Ax extends readonly number[] ? CheckOf<RepeatedAxis<S, Ax, Ax>> : unknown;
/** S reduced over one axis or a list of axes: dropped, or kept as 1 with K. */
export type Reduced<S extends Shape, Ax extends number | readonly number[], K extends boolean = false> =
  number extends S['length'] ? number[] : DropAxes<S, AxesAt<S, Ax>, K>;
/** S with the dim at axis X replaced by D. */
export type WithDim<S extends Shape, X extends number, D extends number> = SpliceAt<S, X, [D]>;
/** S without axis X. */
export type WithoutAxis<S extends Shape, X extends number> = SpliceAt<S, X, []>;

type Suffixes<S extends Shape> = S extends readonly [unknown, ...infer R extends Shape] ? S | Suffixes<R> : S;
type Stretched<U extends Shape> = { -readonly [K in keyof U]: U[K] | 1 };
/** The shapes that broadcast to S leaving it unchanged: S's suffixes, any dim of them 1. */
export type BroadcastsTo<S extends Shape> = S extends FixedRank ? Stretched<Suffixes<S>> & Shape : Shape;

/** Slice [St, En) of a dim D: En - St, or the error when a literal En passes D. */
export type SliceLength<D extends number, St extends number, En extends number> =
  D extends number ? (number extends D | En ? Sub<En, St>
    : Lt<D, En> extends true ? ShapeError<`slice [${St}, ${En}) exceeds dim ${D}`> : Sub<En, St>) : never;

/** Width of one head, E / H; for literal dims the error names both. */
export type HeadWidth<E extends number, H extends number> =
  E extends number ? (H extends number ? DivExact<E, H, `embedDim ${E} is not divisible by heads ${H}`> : never) : never;

// A check that generic code passes and literal dims meet at the call. `T & CheckX` rejects a dim
// that is a type parameter, since tsc requires the argument to fit both branches of a deferred
// conditional. CheckLiteral tests `Verdict extends Known`: for literal dims both are 1, or Verdict
// is 2 when R is an error; while a dim in Dims is a type parameter both stay deferred, Known's
// check type (always `true`) fits Verdict's (`Ok | true`), so tsc proves the test and relates the
// argument to the `unknown` branch alone. (tsc 7 and TS 5.9 alike; types-test covers both cases.)
type Verdict<Ok> = (Ok | true) extends true ? 1 : 2;
type Known<Dims> = ([Dims] extends [number] ? true : true) extends true ? 1 : 2;
/** `unknown` when the result type R is valid or a dim in Dims is generic, else R's `ShapeError`. */
export type CheckLiteral<R, Dims extends number> =
  Verdict<R extends ShapeError<string> ? false : true> extends Known<Dims> ? unknown : Extract<R, ShapeError<string>>;
/** `unknown` when H divides E (or either is generic), else "embedDim E is not divisible by heads H". */
export type CheckHeads<E extends number, H extends number> = CheckLiteral<HeadWidth<E, H>, E | H>;

/** Permutation P applied to S (P's axes checked against S's rank only). */
export type Permuted<S extends Shape, P extends readonly number[]> =
  [P['length']] extends [S['length']] ? (PermuteLoop<S, P, never> extends infer R extends Shape ? R : never) : never;

type PatchRows<H extends number, P extends number> =
  H extends number ? (P extends number ? DivExact<H, P, `patch ${P} does not divide height ${H}`> : never) : never;
type PatchCols<W extends number, P extends number> =
  W extends number ? (P extends number ? DivExact<W, P, `patch ${P} does not divide width ${W}`> : never) : never;
/** `unknown` when P divides H and W (or a dim is generic), else the error naming the dim it does not divide. */
export type CheckPatch<H extends number, W extends number, P extends number> = CheckLiteral<PatchCount<H, W, P>, H | W | P>;
/** (H/P)·(W/P) patches; for literal dims the number, or the error naming the dim P does not divide. */
export type PatchCount<H extends number, W extends number, P extends number> = Mul<PatchRows<H, P>, PatchCols<W, P>>;
/** Patches of [B, C, H, W] with patch P: [B, (H/P)·(W/P), P·P·C]. */
export type Patches<S extends Shape, P extends number> =
  S extends readonly [infer B extends number, infer C extends number, infer H extends number, infer W extends number]
    ? [B, PatchCount<H, W, P>, Mul<Mul<P, P>, C>] : never;
/** `unknown` when S is [B, C, H, W] and P (a positive integer) divides H and W, else the error. */
export type CheckPatches<S extends Shape, P extends number> =
  IsTuple<S> extends false ? unknown
  : [DimsError<S>] extends [never]
    ? (S extends readonly [number, number, infer H extends number, infer W extends number]
      ? ([PositiveError<P, 'patch'>] extends [never]
        ? (DivExact<H, P, `patch ${P} does not divide height ${H}`> extends infer X extends number
          ? CheckOf<DivExact<W, P, `patch ${P} does not divide width ${W}`>> : DivExact<H, P, `patch ${P} does not divide height ${H}`>)
        : PositiveError<P, 'patch'>)
      : ShapeError<`patchify needs [batch, channels, height, width], got ${FormatShape<S>}`>)
    : DimsError<S>;

/** N copies of T as a tuple (N a literal; an array when N is `number`). */
export type Repeat<N extends number, T, Acc extends T[] = []> =
  number extends N ? T[] : Acc['length'] extends N ? Acc : Repeat<N, T, [...Acc, T]>;
/** `unknown` when N (a positive integer) divides the last dim of S, else the error. */
export type CheckChunk<S extends Shape, N extends number> =
  IsTuple<S> extends false ? unknown
  : [DimsError<S>] extends [never]
    ? (S extends readonly [...Shape, infer D extends number]
      ? ([PositiveError<N, 'chunk count'>] extends [never]
        ? CheckOf<DivExact<D, N, `chunk count ${N} does not divide the last dim of ${FormatShape<S>}`>>
        : PositiveError<N, 'chunk count'>)
      : ShapeError<`chunk needs rank >= 1, got []`>)
    : DimsError<S>;
/** S with its last dim divided by N (`never` if invalid: CheckChunk says why). */
export type Chunked<S extends Shape, N extends number> =
  S extends readonly [...infer R extends Shape, infer D extends number]
    ? (Div<D, N> extends infer W extends number ? [...R, W] : never) : never;
