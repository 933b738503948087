// Validation as values: a check returns Either a non-empty list of problems or the value, and
// checks combine applicatively (fp-ts getApplicativeValidation), so independent problems are all
// collected instead of stopping at the first. Flags, configs and checkpoint metadata use it, so a
// user fixes every mistake in one go. Each problem is one sentence naming what it is about.
import { sequenceS } from 'fp-ts/lib/Apply.js';
import * as E from 'fp-ts/lib/Either.js';
import * as RA from 'fp-ts/lib/ReadonlyArray.js';
import * as RNEA from 'fp-ts/lib/ReadonlyNonEmptyArray.js';

/** Every problem found, in the order the checks were written. */
export type Problems = RNEA.ReadonlyNonEmptyArray<string>;
export type Validation<A> = E.Either<Problems, A>;

/** The applicative that concatenates the problems of every failed operand. */
export const validation = E.getApplicativeValidation(RNEA.getSemigroup<string>());

export const valid = <A>(a: A): Validation<A> => E.right(a);
export const invalid = (problem: string): Validation<never> => E.left([problem]);

/** A record of validations as the validation of the record: all fields' problems, or all values. */
export const allFields = sequenceS(validation);

/** A list of validations as the validation of the list: every element's problems, or every value. */
export const allOf = <A>(vs: readonly Validation<A>[]): Validation<readonly A[]> => RA.sequence(validation)(vs);

/** The value, else an error built from every problem. */
export function orThrow<A>(v: Validation<A>, toError: (problems: Problems) => Error): A {
  if (E.isLeft(v)) throw toError(v.left);
  return v.right;
}

/** Problems as one line: `a; b; c`. */
export const oneLine = (problems: Problems): string => problems.join('; ');

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The known name closest to `name` (case-insensitive edit distance; the first on a tie). */
export function nearest(name: string, known: readonly string[]): string | undefined {
  const d = (k: string) => editDistance(name.toLowerCase(), k.toLowerCase());
  return known.reduce<string | undefined>((best, k) => (best === undefined || d(k) < d(best) ? k : best), undefined);
}

/** ` (did you mean X?)` for the nearest known name, else nothing. */
export function didYouMean(name: string, known: readonly string[], show: (k: string) => string = (k) => k): string {
  const k = nearest(name, known);
  return k === undefined ? '' : ` (did you mean ${show(k)}?)`;
}

/** How a value is described in a problem: its JSON (shortened) and, unless obvious, its type. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  const json = typeof v === 'bigint' ? `${v}n` : typeof v === 'function' ? 'a function' : (JSON.stringify(v) ?? String(v));
  const shown = json.length > 40 ? `${json.slice(0, 37)}...` : json;
  const kind = v === null ? '' : Array.isArray(v) ? ' (an array)' : typeof v === 'object' ? ' (an object)' : typeof v === 'string' ? ' (a string)' : typeof v === 'boolean' ? ' (a boolean)' : '';
  return shown + kind;
}

/** A parsed JSON value that is an object (not null, not an array), its fields still unchecked. */
export const isJsonObject = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v);
