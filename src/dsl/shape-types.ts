// Type-level shapes: exact decimal arithmetic on numeric-literal dims plus a
// result type and a check type per op. A result type is the output shape or a
// `ShapeError<"sentence">`; a check type is `unknown` when valid, else that
// error, so a signature can type an argument as `T & CheckX<...>` and tsc prints
// the sentence at the offending argument. shape-rules.ts throws the same
// sentences at runtime. A dim that is `number` (e.g. batch) always passes here.
//
// Trap for op signatures: in `f<M, K, N>(a: T<[M, K]>, b: T<[K, N]>)` K is
// inferred from both arguments, so [2,3] x [4,5] is silently accepted with
// K = 3 | 4. Write `b: T<[NoInfer<K>, N]>` (TS >= 5.4, also TS 7), or infer whole
// shapes (`A extends Shape, B extends Shape`) and add `& CheckMatmul<A, B>`.
// Wrap result types used as a `Shape` in generic code with `ValidShape<...>`.
import type { ShapeError } from './shape-rules.js';

/** A shape: a tuple of dims, each a numeric literal or `number` (known at runtime). */
export type Shape = readonly number[];
/** A type-level number that may already be an error, so arithmetic composes. */
export type NumOrError = number | ShapeError<string>;

// ---------------------------------------------------------------------------
// Exact natural-number arithmetic on decimal digits. Tuple-length tricks hit
// TS2589/TS2799 above ~10,000; here each recursion step handles one digit.

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

// a * d for one digit d: per digit, lo(a*d) + carry -> out digit, hi(a*d) + carry' -> next carry (<= 8).
type MulDigit<A extends Nat, D extends Digit, C extends Digit = 0, Acc extends Nat = []> =
  A extends [infer X extends Digit, ...infer R extends Nat]
    ? MulDigit<R, D,
        AddT[AddT[0][MulT[X][D][0]][C][1]][MulT[X][D][1]][0][0],
        [...Acc, AddT[0][MulT[X][D][0]][C][0]]>
    : (C extends 0 ? Acc : [...Acc, C]);

// Horner over b's digits, most significant first: acc = acc * 10 + a * digit.
type MulNat<A extends Nat, B extends Nat, Acc extends Nat = []> =
  B extends [...infer R extends Nat, infer D extends Digit]
    ? MulNat<A, R, AddNat<Acc extends [] ? [] : [0, ...Acc], D extends 0 ? [] : MulDigit<A, D>>>
    : Acc;

type Inc = [1, 2, 3, 4, 5, 6, 7, 8, 9, 9];
// Subtract b from r while it fits (at most 9 times): [quotient digit, remainder].
type Fit<R extends Nat, B extends Nat, Q extends Digit = 0> =
  SubNat<R, B> extends infer S extends Nat ? Fit<S, B, Inc[Q]> : [Q, R];
// Long division (b must not be 0): bring down one digit of a per step. [quotient, remainder].
type DivModNat<A extends Nat, B extends Nat, Q extends Nat = [], R extends Nat = []> =
  A extends [...infer Rest extends Nat, infer D extends Digit]
    ? Fit<R extends [] ? (D extends 0 ? [] : [D]) : [D, ...R], B> extends [infer QD extends Digit, infer RR extends Nat]
      ? DivModNat<Rest, B, [QD, ...Q], RR>
      : never
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

type NotNat<Subject extends string> = ShapeError<`${Subject} is not a non-negative safe integer`>;
/** Digits of a literal in [0, 2^53 - 1], else an error naming `Subject`. */
type ToNat<N extends number, Subject extends string = `${N}`> =
  StrToNat<`${N}`> extends infer D extends Nat
    ? (LteNat<D, MaxNat> extends true ? D : NotNat<Subject>)
    : NotNat<Subject>;
type IsNat<N extends number> = ToNat<N> extends Nat ? true : false;
/** Digits back to a literal, or `ShapeError<Msg>` above 2^53 - 1 (never widened to number). */
type SafeNum<D extends Nat, Msg extends string> =
  LteNat<D, MaxNat> extends true ? NatToNum<D> : ShapeError<Msg>;
/** Both operands as digits, or the first operand's error. */
type Nats2<A extends number, B extends number> =
  ToNat<A> extends infer X extends Nat
    ? (ToNat<B> extends infer Y extends Nat ? [X, Y] : ToNat<B>)
    : ToNat<A>;

/** Exact a + b; `number` if either is `number`; error above 2^53 - 1. */
export type Add<A extends NumOrError, B extends NumOrError> =
  A extends number ? B extends number ? number extends A | B ? number
    : Nats2<A, B> extends [infer X extends Nat, infer Y extends Nat]
      ? SafeNum<AddNat<X, Y>, `sum ${A} + ${B} exceeds 2^53 - 1`> : Nats2<A, B>
  : B : A;

/** Exact a - b; error when negative. */
export type Sub<A extends NumOrError, B extends NumOrError> =
  A extends number ? B extends number ? number extends A | B ? number
    : Nats2<A, B> extends [infer X extends Nat, infer Y extends Nat]
      ? (SubNat<X, Y> extends infer D extends Nat ? NatToNum<D> : ShapeError<`difference ${A} - ${B} is negative`>)
      : Nats2<A, B>
  : B : A;

/** Exact a * b; error above 2^53 - 1. */
export type Mul<A extends NumOrError, B extends NumOrError> =
  A extends number ? B extends number ? number extends A | B ? number
    : Nats2<A, B> extends [infer X extends Nat, infer Y extends Nat]
      ? SafeNum<MulNat<X, Y>, `product ${A} * ${B} exceeds 2^53 - 1`> : Nats2<A, B>
  : B : A;

/** a / b with custom message on a remainder (a, b valid or `number`). */
type DivExact<A extends number, B extends number, Msg extends string> =
  number extends A | B ? number
  : Nats2<A, B> extends [infer X extends Nat, infer Y extends Nat]
    ? (Y extends [] ? ShapeError<`division by zero: ${A} / ${B}`>
      : DivModNat<X, Y> extends [infer Q extends Nat, []] ? NatToNum<Q> : ShapeError<Msg>)
    : Nats2<A, B>;

/** Exact a / b: a remainder is an error, not rounded. */
export type Div<A extends NumOrError, B extends NumOrError> =
  A extends number ? B extends number ? DivExact<A, B, `${A} is not divisible by ${B}`> : B : A;

/** a mod b (b > 0). */
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

/** a < b on naturals; `boolean` if either is `number`. */
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
/** A shape as printed in messages: `[2,3]` (a dynamic dim prints as `number`). */
export type FormatShape<S extends Shape> = number extends S['length'] ? '[...]' : `[${JoinDims<S>}]`;

/** Keep the valid branch of a result type: use as `Tensor<ValidShape<MatmulShape<A, B>>>`. */
export type ValidShape<R> = Extract<R, Shape>;
/** `unknown` when a result type is valid, else its `ShapeError`. */
export type CheckOf<R> = [Extract<R, ShapeError<string>>] extends [never] ? unknown : Extract<R, ShapeError<string>>;

type IsTuple<S extends Shape> = number extends S['length'] ? false : true;
/** Does the shape hold a dynamic (`number`) dim? (Also true for non-tuples.) */
type HasDynamic<S extends Shape> = number extends S[number] ? true : false;

// First bad dim of a shape (negative, fractional, > 2^53 - 1), else never.
type DimsError<S extends Shape, All extends Shape = S> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? (number extends H ? DimsError<R, All>
      : IsNat<H> extends true ? DimsError<R, All>
      : NotNat<`dim ${H} in ${FormatShape<All>}`>)
    : never;
type DimsError2<A extends Shape, B extends Shape> = [DimsError<A>] extends [never] ? DimsError<B> : DimsError<A>;
/** `unknown` when every literal dim is an integer in [0, 2^53 - 1]. */
export type CheckDims<S extends Shape> = [DimsError<S>] extends [never] ? unknown : DimsError<S>;

/** Replace element I with the elements of Repl (C counts the index). */
type SpliceAt<S extends Shape, I extends number, Repl extends Shape, C extends 0[] = [], Acc extends Shape = []> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? SpliceAt<R, I, Repl, [...C, 0], C['length'] extends I ? [...Acc, ...Repl] : [...Acc, H]>
    : Acc;

/** Two dims that must agree: the known one if the other is `number`, else `false` on a mismatch. */
type UnifyDim<A extends number, B extends number> =
  number extends A ? B : number extends B ? A : [A] extends [B] ? A : false;
type UnifyDims<A extends Shape, B extends Shape, Acc extends Shape = []> =
  [A, B] extends [readonly [infer X extends number, ...infer RA extends Shape], readonly [infer Y extends number, ...infer RB extends Shape]]
    ? (UnifyDim<X, Y> extends infer D extends number ? UnifyDims<RA, RB, [...Acc, D]> : false)
    : [A, B] extends [readonly [], readonly []] ? Acc : false;

/** Product of the dims: exact element count; `number` if any dim is; error above 2^53 - 1. */
export type Product<S extends Shape> =
  [DimsError<S>] extends [never]
    ? (HasDynamic<S> extends true ? number : ProductNat<S, [1], S>)
    : DimsError<S>;
type ProductNat<S extends Shape, Acc extends Nat, All extends Shape> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? (MulNat<Acc, ToNat<H> & Nat> extends infer P extends Nat
      ? (LteNat<P, MaxNat> extends true ? ProductNat<R, P, All>
        : ShapeError<`shape ${FormatShape<All>} has more than 2^53 - 1 elements`>)
      : never)
    : NatToNum<Acc>;

// ---------------------------------------------------------------------------
// Axes

// Axis as [negative?, |axis| digits], or false if not an integer in safe range.
type AxisParts<Axis extends number> =
  `${Axis}` extends `-${infer P}`
    ? (StrToNat<P> extends infer D extends Nat ? (LteNat<D, MaxNat> extends true ? [true, D] : false) : false)
    : (StrToNat<`${Axis}`> extends infer D extends Nat ? (LteNat<D, MaxNat> extends true ? [false, D] : false) : false);

/** Axis in [-rank, rank) normalised to [0, rank) (e.g. -1 -> rank - 1), else an error. */
export type NormalizeAxis<Axis extends number, Rank extends number> =
  number extends Axis | Rank ? number
  : AxisParts<Axis> extends [infer Neg extends boolean, infer D extends Nat]
    ? (ToNat<Rank> extends infer R extends Nat
      ? (Neg extends true
        ? (SubNat<R, D> extends infer X extends Nat ? NatToNum<X> : AxisRangeError<Axis, Rank>)
        : (LtNat<D, R> extends true ? Axis : AxisRangeError<Axis, Rank>))
      : never)
    : ShapeError<`axis ${Axis} is not an integer`>;
type AxisRangeError<Axis extends number, Rank extends number> =
  ShapeError<`axis ${Axis} is out of range for rank ${Rank}`>;

/** Normalised axis of S, or the error (shape dims validated first). */
type AxisOf<S extends Shape, Axis extends number> =
  [DimsError<S>] extends [never] ? NormalizeAxis<Axis, S['length']> : DimsError<S>;
/** `unknown` when Axis is a valid axis of S. */
export type CheckAxis<S extends Shape, Axis extends number> = CheckOf<AxisOf<S, Axis>>;

// ---------------------------------------------------------------------------
// Elementwise broadcasting (NumPy): align trailing dims; 1 stretches; `number` matches anything.

type BroadcastDim<A extends number, B extends number> =
  [A] extends [1] ? B : [B] extends [1] ? A : UnifyDim<A, B>;
type BroadcastLoop<A extends Shape, B extends Shape, FA extends Shape, FB extends Shape, Acc extends Shape = []> =
  A extends readonly [...infer RA extends Shape, infer X extends number]
    ? (B extends readonly [...infer RB extends Shape, infer Y extends number]
      ? (BroadcastDim<X, Y> extends infer D extends number
        ? BroadcastLoop<RA, RB, FA, FB, [D, ...Acc]>
        : ShapeError<`shapes ${FormatShape<FA>} and ${FormatShape<FB>} are not broadcastable (${X} vs ${Y})`>)
      : [...A, ...Acc])
    : [...B, ...Acc];
/** Result shape of an elementwise op on A and B. */
export type BroadcastShape<A extends Shape, B extends Shape> =
  [IsTuple<A>, IsTuple<B>] extends [true, true]
    ? ([DimsError2<A, B>] extends [never] ? BroadcastLoop<A, B, A, B> : DimsError2<A, B>)
    : number[];
/** `unknown` when A and B broadcast. */
export type CheckBroadcast<A extends Shape, B extends Shape> = CheckOf<BroadcastShape<A, B>>;

// ---------------------------------------------------------------------------
// Matmul: [...batch, M, K] x [K, N] or [...batch, K, N] (equal batch dims).
// TA / TB: the last two axes of that operand are swapped (a^T, b^T).

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
  A extends readonly [...infer BA extends Shape, infer A1 extends number, infer A2 extends number]
    ? (B extends readonly [...infer BB extends Shape, infer B1 extends number, infer B2 extends number]
      ? MatmulParts<A, B, TA, TB, BA, BB, TA extends true ? [A2, A1] : [A1, A2], TB extends true ? [B2, B1] : [B1, B2]>
      : MatmulRankError<A, B, TA, TB>)
    : MatmulRankError<A, B, TA, TB>;
type MatmulRankError<A extends Shape, B extends Shape, TA extends boolean, TB extends boolean> =
  ShapeError<`matmul needs operands of rank >= 2: ${Operand<A, TA>} x ${Operand<B, TB>}`>;
/** Result shape of a (optionally transposed) matmul. */
export type MatmulShape<A extends Shape, B extends Shape, TA extends boolean = false, TB extends boolean = false> =
  [IsTuple<A>, IsTuple<B>] extends [true, true]
    ? ([DimsError2<A, B>] extends [never] ? MatmulChecked<A, B, TA, TB> : DimsError2<A, B>)
    : number[];
/** `unknown` when the matmul is valid. */
export type CheckMatmul<A extends Shape, B extends Shape, TA extends boolean = false, TB extends boolean = false> =
  CheckOf<MatmulShape<A, B, TA, TB>>;

// ---------------------------------------------------------------------------
// Reshape: equal element counts; `To` may hold one -1, inferred from the rest.

type CountMinusOne<S extends Shape, C extends 0[] = []> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? CountMinusOne<R, [H] extends [-1] ? [...C, 0] : C> : C['length'];
type WithoutMinusOne<S extends Shape, Acc extends Shape = []> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? WithoutMinusOne<R, [H] extends [-1] ? Acc : [...Acc, H]> : Acc;
type FillMinusOne<S extends Shape, D extends number, Acc extends Shape = []> =
  S extends readonly [infer H extends number, ...infer R extends Shape]
    ? FillMinusOne<R, D, [...Acc, [H] extends [-1] ? D : H]> : Acc;
type ReshapeCounts<From extends Shape, To extends Shape, NF extends number, NT extends number, Minus extends number> =
  number extends NF | NT ? FillMinusOne<To, number>
  : Minus extends 0
    ? ([NF] extends [NT] ? [...To]
      : ShapeError<`reshape from ${FormatShape<From>} (${NF} elements) to ${FormatShape<To>} (${NT} elements)`>)
    : NT extends 0
      ? ShapeError<`reshape from ${FormatShape<From>} (${NF} elements) to ${FormatShape<To>} (cannot infer -1 when the other dims multiply to 0)`>
      : DivExact<NF, NT, ''> extends infer D extends number ? FillMinusOne<To, D>
      : ShapeError<`reshape from ${FormatShape<From>} (${NF} elements) to ${FormatShape<To>} (${NF} is not divisible by ${NT})`>;
/** Result shape of reshaping From to To (To may hold one -1). */
export type ReshapeShape<From extends Shape, To extends Shape> =
  IsTuple<To> extends false ? number[]
  : IsTuple<From> extends false ? FillMinusOne<To, number>
  : [DimsError2<From, WithoutMinusOne<To>>] extends [never]
    ? (CountMinusOne<To> extends 0 | 1
      ? (Product<From> extends infer NF extends number
        ? (Product<WithoutMinusOne<To>> extends infer NT extends number
          ? ReshapeCounts<From, To, NF, NT, CountMinusOne<To>> : Product<WithoutMinusOne<To>>)
        : Product<From>)
      : ShapeError<`reshape to ${FormatShape<To>} has more than one -1`>)
    : DimsError2<From, WithoutMinusOne<To>>;
/** `unknown` when the reshape is valid. */
export type CheckReshape<From extends Shape, To extends Shape> = CheckOf<ReshapeShape<From, To>>;

// ---------------------------------------------------------------------------
// Transpose (last two axes) and permute.

/** Swap the last two axes. */
export type TransposeShape<S extends Shape> =
  IsTuple<S> extends false ? number[]
  : [DimsError<S>] extends [never]
    ? (S extends readonly [...infer R extends Shape, infer X extends number, infer Y extends number]
      ? [...R, Y, X] : ShapeError<`transpose needs rank >= 2, got ${FormatShape<S>}`>)
    : DimsError<S>;
/** `unknown` when S has rank >= 2. */
export type CheckTranspose<S extends Shape> = CheckOf<TransposeShape<S>>;

// Seen collects used axes; an axis must be an index key of S ("0".."n-1") not yet seen.
type PermuteLoop<S extends Shape, P extends readonly number[], Seen, Acc extends Shape = []> =
  P extends readonly [infer X extends number, ...infer R extends readonly number[]]
    ? (number extends X ? PermuteLoop<S, R, Seen, [...Acc, number]>
      : `${X}` extends Exclude<keyof S, keyof unknown[]> ? ([X] extends [Seen] ? false : PermuteLoop<S, R, Seen | X, [...Acc, S[X]]>)
      : false)
    : Acc;
/** Reorder axes: result[i] = S[P[i]]; P must be a permutation of 0..rank-1. */
export type PermuteShape<S extends Shape, P extends readonly number[]> =
  [IsTuple<S>, IsTuple<P>] extends [true, true]
    ? ([DimsError<S>] extends [never]
      ? ([P['length']] extends [S['length']]
        ? (PermuteLoop<S, P, never> extends infer R extends Shape ? R
          : ShapeError<`permute axes ${FormatShape<P>} are not a permutation of 0..${Sub<S['length'], 1>}`>)
        : ShapeError<`permute axes ${FormatShape<P>} do not match rank ${S['length']} of ${FormatShape<S>}`>)
      : DimsError<S>)
    : number[];
/** `unknown` when P is a permutation of S's axes. */
export type CheckPermute<S extends Shape, P extends readonly number[]> = CheckOf<PermuteShape<S, P>>;

// ---------------------------------------------------------------------------
// Concat, slice, take.

// First axis (other than Axis) where A and B differ, as [axis, a, b]; C counts the index.
type ConcatMismatch<A extends Shape, B extends Shape, Axis extends number, C extends 0[] = []> =
  [A, B] extends [readonly [infer X extends number, ...infer RA extends Shape], readonly [infer Y extends number, ...infer RB extends Shape]]
    ? (C['length'] extends Axis ? ConcatMismatch<RA, RB, Axis, [...C, 0]>
      : UnifyDim<X, Y> extends false ? [C['length'], X, Y]
      : ConcatMismatch<RA, RB, Axis, [...C, 0]>)
    : never;
type ConcatChecked<A extends Shape, B extends Shape, Axis extends number> =
  [ConcatMismatch<A, B, Axis>] extends [never]
    ? (Add<A[Axis], B[Axis]> extends infer D extends number
      ? SpliceAt<UnifyDims<A, B> & Shape, Axis, [D]> : Add<A[Axis], B[Axis]>)
    : ConcatMismatch<A, B, Axis> extends [infer I extends number, infer X extends number, infer Y extends number]
      ? ShapeError<`concat along axis ${Axis}: ${FormatShape<A>} and ${FormatShape<B>} differ at axis ${I} (${X} vs ${Y})`>
      : never;
/** Join A and B along Axis; other dims must be equal. */
export type ConcatShape<A extends Shape, B extends Shape, Axis extends number> =
  [IsTuple<A>, IsTuple<B>] extends [true, true]
    ? ([DimsError2<A, B>] extends [never]
      ? ([A['length']] extends [B['length']]
        ? (NormalizeAxis<Axis, A['length']> extends infer X extends number
          ? (number extends X ? number[] : ConcatChecked<A, B, X>) : NormalizeAxis<Axis, A['length']>)
        : ShapeError<`concat needs equal ranks: ${FormatShape<A>} and ${FormatShape<B>}`>)
      : DimsError2<A, B>)
    : number[];
/** `unknown` when the concat is valid. */
export type CheckConcat<A extends Shape, B extends Shape, Axis extends number> = CheckOf<ConcatShape<A, B, Axis>>;

type SliceChecked<S extends Shape, X extends number, Start extends number, End extends number> =
  ToNat<Start, `slice start ${Start}`> extends infer SN extends Nat
    ? (ToNat<End, `slice end ${End}`> extends infer EN extends Nat
      ? (LteNat<SN, EN> extends false ? ShapeError<`slice start ${Start} is greater than end ${End}`>
        : number extends S[X] ? SpliceAt<S, X, [Sub<End, Start> & number]>
        : LteNat<EN, ToNat<S[X]> & Nat> extends true ? SpliceAt<S, X, [Sub<End, Start> & number]>
        : ShapeError<`slice [${Start}, ${End}) exceeds dim ${S[X]} on axis ${X} of ${FormatShape<S>}`>)
      : ToNat<End, `slice end ${End}`>)
    : ToNat<Start, `slice start ${Start}`>;
/** Keep [Start, End) of Axis; 0 <= Start <= End <= dim. */
export type SliceShape<S extends Shape, Axis extends number, Start extends number, End extends number> =
  IsTuple<S> extends false ? number[]
  : AxisOf<S, Axis> extends infer X extends number
    ? (number extends X ? number[]
      : number extends Start | End ? SpliceAt<S, X, [number]>
      : SliceChecked<S, X, Start, End>)
    : AxisOf<S, Axis>;
/** `unknown` when the slice is in bounds. */
export type CheckSlice<S extends Shape, Axis extends number, Start extends number, End extends number> =
  CheckOf<SliceShape<S, Axis, Start, End>>;

/** Pick one Index along Axis and drop that axis (e.g. token 0 of [B, T, E] -> [B, E]). */
export type TakeShape<S extends Shape, Axis extends number, Index extends number> =
  IsTuple<S> extends false ? number[]
  : AxisOf<S, Axis> extends infer X extends number
    ? (number extends X ? number[]
      : number extends Index ? SpliceAt<S, X, []>
      : ToNat<Index, `index ${Index}`> extends infer I extends Nat
        ? (number extends S[X] ? SpliceAt<S, X, []>
          : LtNat<I, ToNat<S[X]> & Nat> extends true ? SpliceAt<S, X, []>
          : ShapeError<`index ${Index} is out of range for dim ${S[X]} on axis ${X} of ${FormatShape<S>}`>)
        : ToNat<Index, `index ${Index}`>)
    : AxisOf<S, Axis>;
/** `unknown` when Index is within the axis. */
export type CheckTake<S extends Shape, Axis extends number, Index extends number> = CheckOf<TakeShape<S, Axis, Index>>;

// ---------------------------------------------------------------------------
// Reductions and softmax.

/** Reduce over Axis (sum / mean / max): drop it, or keep it as 1 with KeepDims. */
export type ReduceShape<S extends Shape, Axis extends number, KeepDims extends boolean = false> =
  IsTuple<S> extends false ? number[]
  : AxisOf<S, Axis> extends infer X extends number
    ? (number extends X ? number[] : SpliceAt<S, X, KeepDims extends true ? [1] : []>)
    : AxisOf<S, Axis>;
/** `unknown` when Axis is valid for a reduction over S. */
export type CheckReduce<S extends Shape, Axis extends number> = CheckAxis<S, Axis>;
/** Result of sum over an axis. */
export type SumShape<S extends Shape, Axis extends number, KeepDims extends boolean = false> = ReduceShape<S, Axis, KeepDims>;
/** Result of mean over an axis. */
export type MeanShape<S extends Shape, Axis extends number, KeepDims extends boolean = false> = ReduceShape<S, Axis, KeepDims>;
/** Result of max over an axis. */
export type MaxShape<S extends Shape, Axis extends number, KeepDims extends boolean = false> = ReduceShape<S, Axis, KeepDims>;

/** Softmax over Axis keeps the shape (Axis must be valid). */
export type SoftmaxShape<S extends Shape, Axis extends number = -1> =
  IsTuple<S> extends false ? S : AxisOf<S, Axis> extends number ? S : AxisOf<S, Axis>;
/** LogSoftmax over Axis keeps the shape (Axis must be valid). */
export type LogSoftmaxShape<S extends Shape, Axis extends number = -1> = SoftmaxShape<S, Axis>;
/** `unknown` when Axis is valid for a softmax over S. */
export type CheckSoftmax<S extends Shape, Axis extends number = -1> = CheckOf<SoftmaxShape<S, Axis>>;

// ---------------------------------------------------------------------------
// Attention heads.

/** `heads` must be a positive integer; `number` passes. */
type PositiveError<V extends number, Name extends string> =
  number extends V ? never
  : ToNat<V> extends infer D extends Nat ? (D extends [] ? PositiveMsg<V, Name> : never)
  : PositiveMsg<V, Name>;
type PositiveMsg<V extends number, Name extends string> = ShapeError<`${Name} ${V} is not a positive integer`>;
type HeadDim<E extends number, H extends number> = DivExact<E, H, `embedDim ${E} is not divisible by heads ${H}`>;

/** [B, T, E] -> [B, H, T, E / H]; E must be divisible by H. */
export type SplitHeadsShape<S extends Shape, H extends number> =
  IsTuple<S> extends false ? [number, H, number, number]
  : [DimsError<S>] extends [never]
    ? (S extends readonly [infer B extends number, infer T extends number, infer E extends number]
      ? ([PositiveError<H, 'heads'>] extends [never]
        ? (HeadDim<E, H> extends infer D extends number ? [B, H, T, D] : HeadDim<E, H>)
        : PositiveError<H, 'heads'>)
      : ShapeError<`splitHeads needs [batch, tokens, embedDim], got ${FormatShape<S>}`>)
    : DimsError<S>;
/** `unknown` when S is [B, T, E] and H divides E. */
export type CheckSplitHeads<S extends Shape, H extends number> = CheckOf<SplitHeadsShape<S, H>>;

/** [B, H, T, D] -> [B, T, H * D]. */
export type MergeHeadsShape<S extends Shape> =
  IsTuple<S> extends false ? [number, number, number]
  : [DimsError<S>] extends [never]
    ? (S extends readonly [infer B extends number, infer H extends number, infer T extends number, infer D extends number]
      ? (Mul<H, D> extends infer E extends number ? [B, T, E] : Mul<H, D>)
      : ShapeError<`mergeHeads needs [batch, heads, tokens, headDim], got ${FormatShape<S>}`>)
    : DimsError<S>;
/** `unknown` when S has rank 4. */
export type CheckMergeHeads<S extends Shape> = CheckOf<MergeHeadsShape<S>>;

// ---------------------------------------------------------------------------
// ViT config.

/** Hyper-parameters of a Vision Transformer; literal types give literal derived dims. */
export interface VitConfig {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly channels: number;
  readonly embedDim: number;
  readonly heads: number;
  readonly mlpDim: number;
  readonly layers: number;
  readonly classes: number;
}
type VitFields = ['imageSize', 'patchSize', 'channels', 'embedDim', 'heads', 'mlpDim', 'layers', 'classes'];
// First field that is not a positive integer, in VitFields order.
type VitFieldError<C extends VitConfig, F extends readonly (keyof VitConfig)[] = VitFields> =
  F extends readonly [infer K extends keyof VitConfig, ...infer R extends readonly (keyof VitConfig)[]]
    ? ([PositiveError<C[K], K>] extends [never] ? VitFieldError<C, R> : PositiveError<C[K], K>)
    : never;
type VitSizes<C extends VitConfig, G extends number, D extends number> =
  Mul<G, G> extends infer NP extends number
    ? (Add<NP, 1> extends infer T extends number
      ? (Mul<Mul<C['patchSize'], C['patchSize']>, C['channels']> extends infer PD extends number
        ? { numPatches: NP; tokens: T; patchDim: PD; headDim: D }
        : Mul<Mul<C['patchSize'], C['patchSize']>, C['channels']>)
      : Add<NP, 1>)
    : Mul<G, G>;
/** Derived dims { numPatches: (I/P)^2, tokens: (I/P)^2 + 1, patchDim: P*P*C, headDim: E/H }, or the first error. */
export type VitDerived<C extends VitConfig> =
  [VitFieldError<C>] extends [never]
    ? (DivExact<C['imageSize'], C['patchSize'], `patchSize ${C['patchSize']} does not divide imageSize ${C['imageSize']}`> extends infer G extends number
      ? (HeadDim<C['embedDim'], C['heads']> extends infer D extends number ? VitSizes<C, G, D> : HeadDim<C['embedDim'], C['heads']>)
      : DivExact<C['imageSize'], C['patchSize'], `patchSize ${C['patchSize']} does not divide imageSize ${C['imageSize']}`>)
    : VitFieldError<C>;
/** `unknown` when the config is valid (positive fields, P divides I, H divides E). */
export type CheckVitConfig<C extends VitConfig> = CheckOf<VitDerived<C>>;
type VitField<C extends VitConfig, K extends 'numPatches' | 'tokens' | 'patchDim' | 'headDim'> =
  VitDerived<C> extends infer R ? (R extends { [P in K]: infer V } ? V : R) : never;
/** Sequence length (I/P)^2 + 1 (patches plus the class token). */
export type VitTokens<C extends VitConfig> = VitField<C, 'tokens'>;
/** Number of patches (I/P)^2. */
export type VitNumPatches<C extends VitConfig> = VitField<C, 'numPatches'>;
/** Flattened patch length P * P * channels. */
export type VitPatchDim<C extends VitConfig> = VitField<C, 'patchDim'>;
/** Per-head width embedDim / heads. */
export type VitHeadDim<C extends VitConfig> = VitField<C, 'headDim'>;
