// einsum (numpy's subscripts, `...` and the implicit output included), lowered to the existing
// primitives: diagonals by reshape/pad/slice, labels used by one operand summed first, operands
// contracted left to right, each pair by one matmul (its batched and transposed forms, so
// 'bij,bjk->bik' is exactly matmul's kernel and 'bhqd,bhkd->bhqk' reads k transposed in place)
// or, with nothing to contract across free labels, by a broadcast mul and a sum; then one permute
// to the output's order. Gradients and batching come from those primitives.
import { apply, type Tensor } from '../tensor.js';
import { madeBy, replayTape, tapeOf, type GraphTape } from '../graph-tape.js';
import { einsumSpec, type EinsumSpec } from '../einsum-rules.js';
import type { CheckEinsum, Einsum } from '../einsum-types.js';
import type { Shape } from '../shape-types.js';
import { padP, permuteP, reshape, sliceP } from './layout.js';
import { matmulRaw } from './matmul.js';
import { mul } from './elementwise.js';
import { sum } from './reduce.js';

/** A tensor with one label per axis, all distinct. */
interface Labelled {
  readonly t: Tensor;
  readonly labels: readonly string[];
}

const product = (xs: readonly number[]) => xs.reduce((p, d) => p * d, 1);
const sameOrder = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((l, k) => l === b[k]);

/** x's axes in the order of `labels` (a permutation of x's labels); no kernel when already so. */
function arrange(x: Labelled, labels: readonly string[]): Tensor {
  if (sameOrder(x.labels, labels)) return x.t;
  return apply(permuteP, [x.t], labels.map((l) => x.labels.indexOf(l)));
}

// The diagonal of the last two axes [..., n, n] as [..., n]: the flat n·n values padded to n·(n + 1)
// put the diagonal in column 0 of [..., n, n + 1].
function diagonal(x: Tensor): Tensor {
  const lead = x.shape.slice(0, -2);
  const n = x.shape[x.shape.length - 1];
  const flat = reshape(x, [...lead, n * n]);
  const axis = lead.length;
  const padded = apply(padP, [flat], { axis, start: 0, end: n * n, length: n * (n + 1) });
  const column = apply(sliceP, [reshape(padded, [...lead, n, n + 1])], { axis: axis + 1, start: 0, end: 1 });
  return reshape(column, [...lead, n]);
}

/**
 * One operand made ready to contract: a `...` axis of size 1 that broadcasts is dropped (the label
 * then comes from the other operands), a repeated label becomes its diagonal, and labels no other
 * operand nor the output uses are summed.
 */
function prepare(x: Tensor, labels: readonly string[], sizes: ReadonlyMap<string, number>, usedElsewhere: (l: string) => boolean): Labelled {
  let item: Labelled = { t: x, labels };
  const stretched = labels.filter((l, k) => x.shape[k] !== sizes.get(l));
  if (stretched.length) {
    const keep = labels.map((l) => !stretched.includes(l));
    item = { t: reshape(x, x.shape.filter((_, k) => keep[k])), labels: labels.filter((_, k) => keep[k]) };
  }
  for (let repeated = findRepeat(item.labels); repeated !== null; repeated = findRepeat(item.labels)) {
    const [i, j] = item.labels.flatMap((l, k) => (l === repeated ? [k] : []));
    const rest = item.labels.map((_, k) => k).filter((k) => k !== i && k !== j);
    const moved = rest.length === i && j === i + 1 ? item.t : apply(permuteP, [item.t], [...rest, i, j]);
    const d = diagonal(moved);
    // a label repeated three times keeps its third occurrence among `rest`, handled next round
    item = { t: d, labels: [...rest.map((k) => item.labels[k]), repeated] };
  }
  const unused = item.labels.map((l, k) => (usedElsewhere(l) ? -1 : k)).filter((k) => k >= 0);
  if (unused.length) item = { t: sum(item.t, unused), labels: item.labels.filter((_, k) => !unused.includes(k)) };
  return item;
}

function findRepeat(labels: readonly string[]): string | null {
  return labels.find((l, k) => labels.indexOf(l) !== k) ?? null;
}

/** a ⊗ b over their shared labels, keeping those in `needed` (the output's and later operands'). */
function contract(a: Labelled, b: Labelled, needed: (l: string) => boolean, sizes: ReadonlyMap<string, number>): Labelled {
  const inB = (l: string) => b.labels.includes(l);
  const batch = a.labels.filter((l) => inB(l) && needed(l));
  const summed = a.labels.filter((l) => inB(l) && !needed(l));
  const aFree = a.labels.filter((l) => !inB(l));
  const bFree = b.labels.filter((l) => !a.labels.includes(l));
  const dims = (ls: readonly string[]) => ls.map((l) => sizes.get(l)!);
  if (summed.length === 0 || (aFree.length === 0 && bFree.length === 0)) {
    // a broadcast product in a's order then b's new labels, summed over the contracted ones
    const labels = [...a.labels, ...bFree];
    const ta = reshape(a.t, [...a.t.shape, ...bFree.map(() => 1)]);
    const shared = a.labels.filter(inB);
    const tb = reshape(arrange(b, [...shared, ...bFree]), labels.map((l) => (inB(l) ? sizes.get(l)! : 1)));
    const product = mul(ta, tb);
    if (summed.length === 0) return { t: product, labels };
    return { t: sum(product, summed.map((l) => labels.indexOf(l))), labels: labels.filter((l) => !summed.includes(l)) };
  }
  // one matmul: a as [...batch, M, K] (or [..., K, M] transposed), b as [...batch, K, N] (or [..., N, K])
  const transposeA = sameOrder(a.labels, [...batch, ...summed, ...aFree]) && !sameOrder(a.labels, [...batch, ...aFree, ...summed]);
  const ta = arrange(a, transposeA ? [...batch, ...summed, ...aFree] : [...batch, ...aFree, ...summed]);
  const transposeB = sameOrder(b.labels, [...batch, ...bFree, ...summed]) && !sameOrder(b.labels, [...batch, ...summed, ...bFree]);
  const tb = arrange(b, transposeB ? [...batch, ...bFree, ...summed] : [...batch, ...summed, ...bFree]);
  const [m, k, n] = [product(dims(aFree)), product(dims(summed)), product(dims(bFree))];
  const lead = dims(batch);
  const out = matmulRaw(
    reshape(ta, [...lead, ...(transposeA ? [k, m] : [m, k])]),
    reshape(tb, [...lead, ...(transposeB ? [n, k] : [k, n])]),
    { transposeA, transposeB },
  );
  const labels = [...batch, ...aFree, ...bFree];
  return { t: reshape(out, dims(labels)), labels };
}

// The lowering of each subscripts and operand shapes, as a graph tape (graph-tape.ts): a training
// step asks for the same few every step, and the tape makes the same graph over new operands
// without parsing or planning again (a spec that fails to parse throws and is not kept).
const lowered = new Map<string, GraphTape>();
const loweredLimit = 256;

/** einsum on shapes known only at runtime: checked by einsumSpec, which throws the type level's sentences. */
export function einsumRaw(subscripts: string, operands: readonly Tensor[]): Tensor {
  // shapes first: their text has no '|', so the key splits one way only; an operand given twice is
  // part of what the graph is (its inputs by position)
  const repeats = operands.map((x, k) => operands.indexOf(x) !== k);
  const key = `${operands.map((x) => x.shape).join(';')}|${subscripts}${repeats.includes(true) ? `|${operands.map((x) => operands.indexOf(x))}` : ''}`;
  // (subscripts with a '|' are not einsum's: parsing below refuses them, no key may match)
  const tape = subscripts.includes('|') ? undefined : lowered.get(key);
  if (tape) return replayTape(tape, (k) => operands[k])[0]!;
  const { result: out, live } = madeBy(() => lower(einsumSpec(subscripts, operands.map((x) => x.shape)), operands), (o) => [o]);
  const kept = tapeOf(live, (t) => (operands.includes(t) ? operands.indexOf(t) : null), [out]);
  if (kept) {
    if (lowered.size >= loweredLimit) lowered.clear();
    lowered.set(key, kept);
  }
  return out;
}

function lower({ inputs, output, sizes }: EinsumSpec, operands: readonly Tensor[]): Tensor {
  const usedBy = (l: string, except: number) => output.includes(l) || inputs.some((ls, k) => k !== except && ls.includes(l));
  const items = operands.map((x, k) => prepare(x, inputs[k], sizes, (l) => usedBy(l, k)));
  let acc = items[0];
  for (let k = 1; k < items.length; k++) {
    const later = items.slice(k + 1);
    acc = contract(acc, items[k], (l) => output.includes(l) || later.some((it) => it.labels.includes(l)), sizes);
  }
  return arrange(acc, output);
}

/**
 * Einstein summation with numpy's subscripts: `einsum('bij,bjk->bik', a, b)` is a batched matmul
 * whose result shape is in the type. Labels are letters; `...` stands for leading dims that
 * broadcast as in numpy; without `->` the output is the `...` dims then the labels used once, in
 * alphabetical order. A label's sizes must agree in every operand (numpy would also stretch a 1:
 * use `...` or reshape); a mismatch, a wrong operand count, an unknown or repeated output label is a
 * compile error naming the label and sizes (a runtime error with the same sentence where dims are `number`).
 * Generic code checks where a label is the same type parameter in every operand.
 */
export function einsum<const Sub extends string, const S extends readonly Shape[]>(
  subscripts: Sub & CheckEinsum<Sub, S>,
  ...operands: { readonly [K in keyof S]: Tensor<S[K]> }
): Tensor<Einsum<Sub, S>>;
export function einsum(subscripts: string, ...operands: Tensor[]): Tensor {
  return einsumRaw(subscripts, operands);
}
