// Type-checking cost: instantiations, types, check time and memory that tsc 7 reports for the
// library and model code, the type tests and the dim-arithmetic fixtures, next to the budgets that
// test/typecheck-cost.test.ts holds them to. Run `npm run build` first (types-test reads build/).
// Usage: node build/bench/typecheck.js
import { bigDimsExtraBudget, measureTypecheck, targets } from '../tools/typecheck-cost.js';

const rows: string[][] = [['target', 'files', 'types', 'instantiations', 'budget', 'check s', 'memory MiB', 'what']];
const costs: Record<string, number> = {};
for (const target of Object.values(targets)) {
  const c = await measureTypecheck(target);
  costs[target.name] = c.instantiations;
  const budget = 'budget' in target ? target.budget.toLocaleString('en') : '';
  rows.push([target.name, `${c.files}`, c.types.toLocaleString('en'), c.instantiations.toLocaleString('en'), budget, c.checkSeconds.toFixed(2), (c.memoryKiB / 1024).toFixed(0), target.what]);
}
const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
for (const r of rows) console.log(r.map((cell, k) => (k === 0 || k === r.length - 1 ? cell.padEnd(widths[k]) : cell.padStart(widths[k]))).join('  ').trimEnd());
const extra = costs[targets.bigDims.name] - costs[targets.smallDims.name];
console.log(`big dims cost ${extra.toLocaleString('en')} instantiations more than one-digit dims (budget ${bigDimsExtraBudget.toLocaleString('en')})`);
