// A small typed parser for kebab-case command-line flags. The spec is the single source of truth:
// it types the result (kebab names become camelCase keys), validates values, and produces --help.
// Every user error is a FlagError holding every problem found (each naming its flag; its message
// is all of them on one line) and whose exit code is 2 (the usual "bad usage" status), so the CLI
// can print them, one line each, and exit without a stack trace.
import * as E from 'fp-ts/lib/Either.js';
import { allOf, didYouMean, invalid, oneLine, orThrow, valid, type Problems, type Validation } from '../io/validation.js';

interface Common {
  help: string;
}
export interface StringFlag extends Common { type: 'string'; default?: string; required?: boolean }
export interface IntFlag extends Common { type: 'int'; default?: number; required?: boolean; min?: number; max?: number }
export interface FloatFlag extends Common { type: 'float'; default?: number; required?: boolean; min?: number; max?: number }
/** `--x` sets true, `--no-x` false, `--x=true|false` either; absent means `default` (false if unset). */
export interface BoolFlag extends Common { type: 'bool'; default?: boolean }
export interface EnumFlag<V extends string = string> extends Common { type: 'enum'; values: readonly V[]; default?: V; required?: boolean }
/** Two comma-separated numbers, e.g. `--betas 0.9,0.999`; min/max apply to both. */
export interface FloatPairFlag extends Common { type: 'floatPair'; default?: readonly [number, number]; required?: boolean; min?: number; max?: number }

export type FlagSpec = StringFlag | IntFlag | FloatFlag | BoolFlag | EnumFlag | FloatPairFlag;
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;
type ValueOf<F> = F extends { type: 'string' }
  ? string
  : F extends { type: 'int' | 'float' }
    ? number
    : F extends { type: 'bool' }
      ? boolean
      : F extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : F extends { type: 'floatPair' }
          ? [number, number]
          : never;
type AlwaysSet<F> = F extends { type: 'bool' } ? true : F extends { default: unknown } ? true : F extends { required: true } ? true : false;

/** The parsed flags: camelCase keys; `| undefined` only for optional flags without a default. */
export type Flags<S extends FlagSpecs> = {
  -readonly [K in keyof S as CamelCase<K & string>]: AlwaysSet<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

export type ParseResult<S extends FlagSpecs> = { help: true; flags?: undefined } | { help: false; flags: Flags<S> };

/** A usage error: every problem found, each naming its flag, as one line; exit code 2. */
export class FlagError extends Error {
  override name = 'FlagError';
  readonly exitCode = 2;
  readonly problems: Problems;
  constructor(problems: Problems | string) {
    const list: Problems = typeof problems === 'string' ? [problems] : problems;
    super(oneLine(list));
    this.problems = list;
  }
}

/**
 * Parses argv (without the node/script/subcommand words). `--help`/`-h` wins over everything.
 * Every problem (unknown, repeated, missing or malformed flags) is collected into one FlagError.
 */
export function parseFlags<const S extends FlagSpecs>(spec: S, argv: readonly string[]): ParseResult<S> {
  checkSpec(spec);
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  const given: Validation<readonly [string, unknown]>[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      given.push(invalid(`unexpected argument '${arg}' (flags look like --name value)`));
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let f = spec[name];
    if (!f && name.startsWith('no-') && spec[name.slice(3)]?.type === 'bool') {
      if (inline !== undefined) {
        given.push(invalid(`--${name} takes no value`));
        continue;
      }
      name = name.slice(3);
      f = spec[name];
      inline = 'false';
    }
    let text: string | undefined = inline;
    if (text === undefined && f?.type === 'bool') text = 'true';
    // A following "--flag" is the next flag, not a value; negative numbers ("-1") are values. An
    // unknown flag takes a following value too, so it is not reported again as an argument.
    else if (text === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) text = argv[++i];
    if (!f) given.push(invalid(unknownMessage(name, spec)));
    else if (seen.has(name)) given.push(invalid(`--${name} is given more than once`));
    else if (text === undefined) given.push(invalid(`--${name} needs a value (${valueHint(f)})`));
    else given.push(E.map((v: unknown) => [name, v] as const)(convert(name, f, text)));
    seen.add(name);
  }
  const missing = Object.entries(spec).flatMap(([name, f]) =>
    !seen.has(name) && 'required' in f && f.required ? [invalid(`missing required flag --${name} (${valueHint(f)})`)] : [],
  );
  const raw = new Map(orThrow(allOf([...given, ...missing]), (problems) => new FlagError(problems)));
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec)) {
    const v = raw.has(name) ? raw.get(name) : f.type === 'bool' ? (f.default ?? false) : f.type === 'floatPair' && f.default ? [...f.default] : f.default;
    out[camelCase(name)] = v;
  }
  return { help: false, flags: out as Flags<S> };
}

/** The --help text, generated from the spec. */
export function helpText(spec: FlagSpecs, usage: string): string {
  checkSpec(spec);
  const rows: [string, string][] = Object.entries(spec).map(([name, f]) => {
    const left = f.type === 'bool' ? `--${name}, --no-${name}` : `--${name} <${valueHint(f)}>`;
    const notes: string[] = [];
    if (f.type === 'enum') notes.push(`one of ${f.values.join(', ')}`);
    if ((f.type === 'int' || f.type === 'float' || f.type === 'floatPair') && (f.min !== undefined || f.max !== undefined)) {
      notes.push(f.min !== undefined && f.max !== undefined ? `${f.min}..${f.max}` : f.min !== undefined ? `>= ${f.min}` : `<= ${f.max}`);
    }
    if ('required' in f && f.required) notes.push('required');
    else if (f.default !== undefined) notes.push(`default ${Array.isArray(f.default) ? f.default.join(',') : String(f.default)}`);
    return [left, notes.length ? `${f.help} (${notes.join('; ')})` : f.help];
  });
  rows.push(['--help, -h', 'Show this help']);
  const width = Math.max(...rows.map(([l]) => l.length));
  return [`Usage: ${usage}`, '', 'Flags:', ...rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`)].join('\n') + '\n';
}

function unknownMessage(name: string, spec: FlagSpecs): string {
  return `unknown flag --${name}${didYouMean(name, [...Object.keys(spec), 'help'], (k) => `--${k}`)}`;
}

const FLOAT_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT_RE = /^[+-]?\d+$/;

function convert(name: string, f: FlagSpec, text: string): Validation<unknown> {
  const show = JSON.stringify(text);
  switch (f.type) {
    case 'string':
      return valid(text);
    case 'bool':
      return text === 'true' ? valid(true) : text === 'false' ? valid(false) : invalid(`--${name}: expected true or false, got ${show}`);
    case 'enum':
      return (f.values as readonly string[]).includes(text) ? valid(text) : invalid(`--${name}: ${show} is not one of ${f.values.join(', ')}`);
    case 'int': {
      if (!INT_RE.test(text)) return invalid(`--${name}: expected an integer, got ${show}`);
      const v = Number(text);
      return Number.isSafeInteger(v) ? checkRange(name, f, v) : invalid(`--${name}: ${text} is too large`);
    }
    case 'float':
      return FLOAT_RE.test(text) ? checkRange(name, f, Number(text)) : invalid(`--${name}: expected a number, got ${show}`);
    case 'floatPair': {
      const parts = text.split(',');
      if (parts.length !== 2 || !parts.every((p) => FLOAT_RE.test(p.trim()))) {
        return invalid(`--${name}: expected two comma-separated numbers like 0.9,0.999, got ${show}`);
      }
      return allOf(parts.map((p) => checkRange(name, f, Number(p.trim()))));
    }
  }
}

function checkRange(name: string, f: IntFlag | FloatFlag | FloatPairFlag, v: number): Validation<number> {
  if (!Number.isFinite(v)) return invalid(`--${name}: ${v} is not a finite number`);
  if (f.min !== undefined && v < f.min) return invalid(`--${name}: ${v} is below the minimum ${f.min}`);
  if (f.max !== undefined && v > f.max) return invalid(`--${name}: ${v} is above the maximum ${f.max}`);
  return valid(v);
}

function valueHint(f: FlagSpec): string {
  switch (f.type) {
    case 'string': return 'string';
    case 'int': return 'integer';
    case 'float': return 'number';
    case 'bool': return 'true|false';
    case 'enum': return f.values.join('|');
    case 'floatPair': return 'number,number';
  }
}

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

// Spec mistakes are programming errors (plain Error), caught the first time the CLI runs.
function checkSpec(spec: FlagSpecs): void {
  for (const [name, f] of Object.entries(spec)) {
    if (!/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(name)) throw new Error(`flag spec: '${name}' is not a kebab-case name`);
    if (name === 'help' || (name.startsWith('no-') && spec[name.slice(3)]?.type === 'bool')) throw new Error(`flag spec: '${name}' is reserved`);
    if ((f.type === 'int' || f.type === 'float' || f.type === 'floatPair') && f.min !== undefined && f.max !== undefined && f.min > f.max) {
      throw new Error(`flag spec: --${name} has min ${f.min} > max ${f.max}`);
    }
    if (f.type === 'enum' && f.default !== undefined && !f.values.includes(f.default)) {
      throw new Error(`flag spec: --${name} default '${f.default}' is not one of its values`);
    }
    if (f.type === 'int' && f.default !== undefined && !Number.isSafeInteger(f.default)) throw new Error(`flag spec: --${name} default is not an integer`);
  }
}
