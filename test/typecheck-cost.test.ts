// Type-checking stays cheap as the types grow: tsc 7's instantiation counts (deterministic, unlike
// times) for the library and model code and for the type tests stay within their budgets, and dim
// arithmetic works digit by digit: ImageNet-sized dims (150,528 = 224·224·3, 4·768) compile and
// cost little more than one-digit dims. Figures and budgets: `node build/bench/typecheck.js`.
import test from 'ava';
import { bigDimsExtraBudget, measureTypecheck, targets } from '../tools/typecheck-cost.js';

for (const target of [targets.src, targets.typesTest]) {
  test(`type-checking ${target.what} stays within ${target.budget.toLocaleString('en')} instantiations`, async (t) => {
    const cost = await measureTypecheck(target);
    t.log(`${cost.instantiations.toLocaleString('en')} instantiations, ${cost.types.toLocaleString('en')} types, check ${cost.checkSeconds} s`);
    t.true(cost.instantiations <= target.budget, `${target.name}: ${cost.instantiations} instantiations > budget ${target.budget}`);
  });
}

test('dim arithmetic on 150,528 and 4·768 costs about what it costs on one-digit dims', async (t) => {
  const [big, small] = await Promise.all([measureTypecheck(targets.bigDims), measureTypecheck(targets.smallDims)]);
  const extra = big.instantiations - small.instantiations;
  t.log(`big dims ${big.instantiations}, one-digit dims ${small.instantiations}: ${extra} more`);
  t.true(extra <= bigDimsExtraBudget, `big dims cost ${extra} instantiations more than one-digit dims (budget ${bigDimsExtraBudget})`);
});
