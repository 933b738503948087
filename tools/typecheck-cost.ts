// What type-checking costs, from tsc 7's --extendedDiagnostics: the library and model code
// (src/), the type tests (types-test/, which read the built package), and the dim-arithmetic
// fixtures. One checker (`--checkers 1`) makes the counts deterministic: with several, each
// checker instantiates what its share of the files needs, and the sum depends on the split.
// The budgets are on instantiation counts (times vary with the machine and its load), set on
// 2026-12-04 from src 226,959 and types-test 406,686 (main at b174d2d: einsum, indexing and
// structure ops in), about 1.4× for what is added next
// (`node build/bench/typecheck.js` prints figures and budgets).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface TypecheckCost {
  readonly files: number;
  readonly types: number;
  readonly instantiations: number;
  readonly checkSeconds: number;
  readonly memoryKiB: number;
}

/** A compilation that is measured: its tsc arguments (relative to the repository root). */
export interface TypecheckTarget {
  readonly name: string;
  readonly what: string;
  readonly args: readonly string[];
  /** the most instantiations it may take (`undefined`: reported only) */
  readonly budget?: number;
}

// the options test/type-messages.test.ts compiles its fixture with
const fixtureOptions = ['--ignoreConfig', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck'];

/** One file of types-test/ compiled alone (what it costs with the package's types it pulls in). */
export function typesTestFile(file: string): TypecheckTarget {
  return { name: file, what: 'alone', args: [...fixtureOptions, '--lib', 'es2023', `types-test/${file}`] };
}

export const targets = {
  src: { name: 'src', what: 'library and model code (src/)', args: ['-p', 'bench/typecheck.tsconfig.json'], budget: 320_000 },
  typesTest: { name: 'types-test', what: 'type tests on the built package', args: ['-p', 'types-test/tsconfig.json'], budget: 550_000 },
  project: { name: 'tsconfig.json', what: 'src, test, bench, demo, tools', args: ['-p', 'tsconfig.json'] },
  bigDims: { name: 'big dims', what: 'type-fixtures/dim-arithmetic.ts (224·224·3, 4·768, ...)', args: [...fixtureOptions, 'type-fixtures/dim-arithmetic.ts'] },
  smallDims: { name: 'small dims', what: 'type-fixtures/dim-arithmetic-small.ts (the same on 1-digit dims)', args: [...fixtureOptions, 'type-fixtures/dim-arithmetic-small.ts'] },
} as const satisfies Record<string, TypecheckTarget>;

/** The most instantiations the big-dim fixture may take beyond its one-digit control. */
export const bigDimsExtraBudget = 30_000;

function field(output: string, label: string): number {
  const m = new RegExp(`^${label}:\\s+([\\d.]+)`, 'm').exec(output);
  if (!m) throw new Error(`tsc --extendedDiagnostics printed no "${label}" line:\n${output}`);
  return Number(m[1]);
}

/** Compiles a target (no output files) and reads its figures; a type error fails, naming it. */
export async function measureTypecheck(target: TypecheckTarget): Promise<TypecheckCost> {
  const tsc = `${root}node_modules/.bin/tsc`;
  const args = [...target.args, '--noEmit', '--extendedDiagnostics', '--checkers', '1'];
  const output = await promisify(execFile)(tsc, args, { cwd: root, maxBuffer: 16 << 20 }).then(
    (r) => r.stdout,
    (e: { stdout?: string; message: string }) => {
      throw new Error(`tsc ${args.join(' ')} failed (${target.name}):\n${e.stdout || e.message}`);
    },
  );
  return {
    files: field(output, 'Files'),
    types: field(output, 'Types'),
    instantiations: field(output, 'Instantiations'),
    checkSeconds: field(output, 'Check time'),
    memoryKiB: field(output, 'Memory used'),
  };
}
