// Type-checking cost: instantiations, types, check time and memory that tsc 7 reports for the
// library and model code, the type tests and the dim-arithmetic fixtures, next to the budgets that
// test/typecheck-cost.test.ts holds them to. Run `npm run build` first (types-test reads build/).
// Usage: node build/bench/typecheck.js [--per-file]   (--per-file: also each types-test file alone,
// to find what a budget overrun comes from)
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bigDimsExtraBudget, measureTypecheck, targets, typesTestFile, type TypecheckTarget } from '../tools/typecheck-cost.js';

const args = process.argv.slice(2);
if (args.some((a) => a !== '--per-file')) {
  console.error('usage: node build/bench/typecheck.js [--per-file]');
  process.exit(2);
}
const typesTestDir = fileURLToPath(new URL('../../types-test', import.meta.url));
const perFile: TypecheckTarget[] = args.includes('--per-file')
  ? readdirSync(typesTestDir).filter((f) => f.endsWith('.test-d.ts')).sort().map(typesTestFile)
  : [];

const rows: string[][] = [['target', 'files', 'types', 'instantiations', 'budget', 'check s', 'memory MiB', 'what']];
const costs: Record<string, number> = {};
for (const target of [...Object.values(targets), ...perFile] as TypecheckTarget[]) {
  const c = await measureTypecheck(target);
  costs[target.name] = c.instantiations;
  const budget = target.budget?.toLocaleString('en') ?? '';
  rows.push([target.name, `${c.files}`, c.types.toLocaleString('en'), c.instantiations.toLocaleString('en'), budget, c.checkSeconds.toFixed(2), (c.memoryKiB / 1024).toFixed(0), target.what]);
}
const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
for (const r of rows) console.log(r.map((cell, k) => (k === 0 || k === r.length - 1 ? cell.padEnd(widths[k]) : cell.padStart(widths[k]))).join('  ').trimEnd());
const extra = costs[targets.bigDims.name] - costs[targets.smallDims.name];
console.log(`big dims cost ${extra.toLocaleString('en')} instantiations more than one-digit dims (budget ${bigDimsExtraBudget.toLocaleString('en')})`);
