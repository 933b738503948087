// einsum's subscripts parsed in the type: the result shape of `einsum('bij,bjk->bik', a, b)`, or a
// `ShapeError<"sentence">` naming the label and sizes (einsum-rules.ts throws the same sentences at
// runtime, checking in the same order). Labels are bound in an environment, a union of
// [label, dim, operand] tuples; `...` dims broadcast as in numpy, aligned right.
import type { ShapeError } from './shape-error.js';
import type { BroadcastResult, CheckOf, FormatShape, Shape } from './shape-types.js';

type Upper = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'N' | 'O' | 'P' | 'Q' | 'R' | 'S' | 'T' | 'U' | 'V' | 'W' | 'X' | 'Y' | 'Z';
type Letter = Upper | Lowercase<Upper>;
// ASCII order, numpy's order for the implicit output
type Alphabet = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z',
  'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z'];

type Chars<S extends string, Acc extends string[] = []> = S extends `${infer C}${infer R}` ? Chars<R, [...Acc, C]> : Acc;
type Terms<S extends string, Acc extends string[] = []> = S extends `${infer H},${infer R}` ? Terms<R, [...Acc, H]> : [...Acc, S];
/** A term as [its text, the labels before `...`, those after it or null without `...`]. */
type Term<T extends string> = T extends `${infer B}...${infer A}` ? [T, Chars<B>, Chars<A>] : [T, Chars<T>, null];
type Labels<P> = P extends [string, infer B extends string[], infer A] ? (A extends string[] ? [...B, ...A] : B) : [];
// The first character of a term that is not a letter, as the error, else never.
type BadLabel<T extends string, Cs extends string[]> =
  Cs extends [infer C extends string, ...infer R extends string[]]
    ? (C extends Letter ? BadLabel<T, R> : ShapeError<`einsum: '${C}' in '${T}' is not a label (a letter, or ... for broadcast dims)`>)
    : never;

// [label, dim] pairs of the labels in front of a shape, and the rest of it; false when too short.
type ZipFront<Ls extends string[], S extends Shape, Acc extends [string, number][] = []> =
  Ls extends [infer L extends string, ...infer R extends string[]]
    ? (S extends readonly [infer D extends number, ...infer SR extends Shape] ? ZipFront<R, SR, [...Acc, [L, D]]> : false)
    : [Acc, S];
type ZipBack<Ls extends string[], S extends Shape, Acc extends [string, number][] = []> =
  Ls extends [...infer R extends string[], infer L extends string]
    ? (S extends readonly [...infer SR extends Shape, infer D extends number] ? ZipBack<R, SR, [[L, D], ...Acc]> : false)
    : [Acc, S];
/** [pairs, the `...` dims] of operand shape S under term P, or false when the rank does not fit. */
type Split<P, S extends Shape> =
  P extends [string, infer B extends string[], infer A]
    ? (A extends string[]
      ? (ZipFront<B, S> extends [infer F extends [string, number][], infer Rest extends Shape]
        ? (ZipBack<A, Rest> extends [infer T extends [string, number][], infer Mid extends Shape] ? [[...F, ...T], Mid] : false)
        : false)
      : (ZipFront<B, S> extends [infer F extends [string, number][], readonly []] ? [F, []] : false))
    : false;

// Identical dims, wrapped in objects: tsc resolves it for a dim that is a type parameter (the same
// one twice), where `[D] extends [E]` or `number extends D` would be deferred in generic code.
type Same<D, E> = { v: D } extends { v: E } ? ({ v: E } extends { v: D } ? true : false) : false;
// Binds each pair in Env, a record label -> [dim, operand] (read by indexed access, so generic dims
// pass through untested): a `number` dim agrees with anything, a literal replaces a `number`.
type Bind<Pairs extends [string, number][], Env, K extends number> =
  Pairs extends [[infer L extends string, infer D extends number], ...infer R extends [string, number][]]
    ? (L extends keyof Env
      ? (Env[L] extends [infer E, infer J]
        ? (Same<D, E> extends true ? Bind<R, Env, K>
          : number extends D ? Bind<R, Env, K>
          : number extends E ? Bind<R, Omit<Env, L> & { [P in L]: [D, K] }, K>
          : ShapeError<`einsum: label ${L} is ${E & number} in operand ${J & number} and ${D} in operand ${K}`>)
        : never)
      : Bind<R, Env & { [P in L]: [D, K] }, K>)
    : Env;

/** What the inputs bind: the environment, the broadcast `...` dims, every label in order, whether any term has `...`. */
type State = [env: unknown, dots: Shape, labels: string[], anyDots: boolean];
type Operand<P, S extends Shape, K extends number, St extends State> =
  P extends [infer T extends string, string[], infer A]
    ? ([BadLabel<T, Labels<P>>] extends [never]
      ? (Split<P, S> extends [infer Pairs extends [string, number][], infer Mid extends Shape]
        ? (Bind<Pairs, St[0], K> extends infer Env
          ? (Env extends ShapeError<string> ? Env
            : A extends null ? [Env, St[1], [...St[2], ...Labels<P>], St[3]]
            : BroadcastResult<St[1], Mid> extends infer Dots extends Shape ? [Env, Dots, [...St[2], ...Labels<P>], true]
            : ShapeError<`einsum: the ... dims ${FormatShape<Mid>} of operand ${K} do not broadcast with ${FormatShape<St[1]>}`>)
          : never)
        : ShapeError<`einsum: operand ${K} is ${FormatShape<S>} but '${T}' names ${A extends null ? '' : 'at least '}${Labels<P>['length'] & number} dims`>)
      : BadLabel<T, Labels<P>>)
    : never;
type Inputs<Ts extends string[], Ss extends readonly Shape[], St extends State = [{}, [], [], false], K extends 0[] = []> =
  Ts extends [infer T extends string, ...infer R extends string[]]
    ? (Operand<Term<T>, Ss[K['length']], K['length'], St> extends infer Next
      ? (Next extends State ? Inputs<R, Ss, Next, [...K, 0]> : Next) : never)
    : St;

type Dims<Env, Ls extends string[], Acc extends unknown[] = []> =
  Ls extends [infer L extends string, ...infer R extends string[]] ? Dims<Env, R, [...Acc, Env[L & keyof Env] extends [infer D, unknown] ? D : never]> : Acc;
// Labels that occur more than once in Ls.
type Repeated<Ls extends string[], Seen = never, Dup = never> =
  Ls extends [infer L extends string, ...infer R extends string[]]
    ? ([L] extends [Seen] ? Repeated<R, Seen, Dup | L> : Repeated<R, Seen | L, Dup>)
    : Dup;
type Sorted<U, A extends string[] = Alphabet, Acc extends string[] = []> =
  A extends [infer C extends string, ...infer R extends string[]] ? Sorted<U, R, C extends U ? [...Acc, C] : Acc> : Acc;
// The first output label not bound by the inputs or given twice, as the error, else never.
type OutputError<Ls extends string[], In, Seen = never> =
  Ls extends [infer L extends string, ...infer R extends string[]]
    ? ([L] extends [In] ? ([L] extends [Seen] ? ShapeError<`einsum: output label ${L} is repeated`> : OutputError<R, In, Seen | L>)
      : ShapeError<`einsum: output label ${L} is not in the inputs`>)
    : never;
type Output<O, St extends State> =
  St extends [infer Env, infer Dots extends Shape, infer In extends string[], infer AnyDots]
    ? (O extends string
      ? (Term<O> extends [string, infer B extends string[], infer A]
        ? ([BadLabel<O, Labels<Term<O>>>] extends [never]
          ? ([OutputError<Labels<Term<O>>, In[number]>] extends [never]
            ? (A extends string[] ? [...Dims<Env, B>, ...Dots, ...Dims<Env, A>]
              : Dots extends readonly [] ? Dims<Env, B>
              : ShapeError<`einsum: the output '${O}' has no ... for the broadcast dims ${FormatShape<Dots>}`>)
            : OutputError<Labels<Term<O>>, In[number]>)
          : BadLabel<O, Labels<Term<O>>>)
        : never)
      // numpy's implicit output: the `...` dims, then the labels used once in alphabetical order
      : [...(AnyDots extends true ? Dots : []), ...Dims<Env, Sorted<Exclude<In[number], Repeated<In>>>>])
    : never;

type IsTuple<S extends readonly unknown[]> = number extends S['length'] ? false : true;
type AllTuples<Ss extends readonly Shape[]> = false extends { [K in keyof Ss]: IsTuple<Ss[K]> }[number] ? false : true;

/** Shape of einsum(Sub, ...operands of shapes Ss), or the ShapeError. */
export type EinsumResult<Sub extends string, Ss extends readonly Shape[]> =
  string extends Sub ? number[]
  : [IsTuple<Ss>, AllTuples<Ss>] extends [true, true]
    ? (Sub extends `${infer I}->${infer O}` ? [Terms<I>, O] : [Terms<Sub>, null]) extends [infer Ts extends string[], infer O]
      ? ([Ts['length']] extends [Ss['length']]
        ? (Inputs<Ts, Ss> extends infer St ? (St extends State ? Output<O, St> : St) : never)
        : ShapeError<`einsum: '${Sub}' names ${Ts['length']} operands but ${Ss['length']} were given`>)
      : never
    : number[];
/** `unknown` when the subscripts fit the operand shapes. */
export type CheckEinsum<Sub extends string, Ss extends readonly Shape[]> = EinsumResult<Sub, Ss> extends infer R ? CheckOf<R> : never;
/** Shape of einsum(Sub, ...operands) (`never` if invalid: CheckEinsum says why). */
export type Einsum<Sub extends string, Ss extends readonly Shape[]> = EinsumResult<Sub, Ss> extends infer R extends Shape ? R : never;
