// Runtime mirror of einsum-types.ts: parses numpy's einsum subscripts against operand shapes and
// throws ShapeError with exactly the sentence the type level prints, checking in the same order
// (operand count; per operand left to right: labels, rank, label sizes, `...` broadcasting; then
// the output), so the first error is the same one.
import { ShapeError } from './shape-error.js';
import { broadcastShapes, checkDims, formatShape } from './shape-rules.js';

const fail = (message: string): never => {
  throw new ShapeError(message);
};
const isLabel = (c: string) => /^[A-Za-z]$/.test(c);

/** A parsed einsum: each operand's labels and the output's, `...` dims as labels `.0`, `.1`, ... (aligned right). */
export interface EinsumSpec {
  readonly inputs: readonly (readonly string[])[];
  readonly output: readonly string[];
  /** every label's size (a `...` dim: its broadcast size) */
  readonly sizes: ReadonlyMap<string, number>;
}

interface Term {
  readonly text: string;
  readonly before: readonly string[];
  /** labels after `...`; null when the term has no `...` */
  readonly after: readonly string[] | null;
}

// The labels before and after the first `...`; any other character (a second `.`) is not a label.
function parseTerm(text: string): Term {
  const at = text.indexOf('...');
  const before = [...(at < 0 ? text : text.slice(0, at))];
  const after = at < 0 ? null : [...text.slice(at + 3)];
  for (const c of [...before, ...(after ?? [])]) {
    if (!isLabel(c)) fail(`einsum: '${c}' in '${text}' is not a label (a letter, or ... for broadcast dims)`);
  }
  return { text, before, after };
}

/** Checks `subscripts` against the operand shapes and names every dim; the first problem throws. */
export function einsumSpec(subscripts: string, shapes: readonly (readonly number[])[]): EinsumSpec {
  const arrow = subscripts.indexOf('->');
  const terms = (arrow < 0 ? subscripts : subscripts.slice(0, arrow)).split(',');
  if (terms.length !== shapes.length) fail(`einsum: '${subscripts}' names ${terms.length} operands but ${shapes.length} were given`);
  const sizes = new Map<string, number>();
  const boundIn = new Map<string, number>();
  const named: string[][] = [];
  const leading: number[] = [];
  const middles: number[][] = [];
  let dots: number[] = [];
  let anyEllipsis = false;
  terms.forEach((text, k) => {
    const term = parseTerm(text);
    const shape = shapes[k];
    checkDims(shape);
    const count = term.before.length + (term.after?.length ?? 0);
    if (term.after === null ? shape.length !== count : shape.length < count) {
      fail(`einsum: operand ${k} is ${formatShape(shape)} but '${text}' names ${term.after === null ? '' : 'at least '}${count} dims`);
    }
    const middle = shape.slice(term.before.length, shape.length - (term.after?.length ?? 0));
    const labelled: Array<[string, number]> = [
      ...term.before.map((l, j): [string, number] => [l, shape[j]]),
      ...(term.after ?? []).map((l, j): [string, number] => [l, shape[term.before.length + middle.length + j]]),
    ];
    for (const [label, d] of labelled) {
      const known = sizes.get(label);
      if (known === undefined) sizes.set(label, d), boundIn.set(label, k);
      else if (known !== d) fail(`einsum: label ${label} is ${known} in operand ${boundIn.get(label)} and ${d} in operand ${k}`);
    }
    if (term.after !== null) {
      anyEllipsis = true;
      try {
        dots = broadcastShapes(dots, middle);
      } catch {
        fail(`einsum: the ... dims ${formatShape(middle)} of operand ${k} do not broadcast with ${formatShape(dots)}`);
      }
    }
    named.push(labelled.map(([l]) => l));
    leading.push(term.before.length);
    middles.push(term.after === null ? [] : middle);
  });
  const dotLabels = dots.map((_, p) => `.${p}`);
  dotLabels.forEach((l, p) => sizes.set(l, dots[p]));
  const inputs = named.map((labels, k) => [...labels.slice(0, leading[k]), ...dotLabels.slice(dots.length - middles[k].length), ...labels.slice(leading[k])]);
  return { inputs, output: outputLabels(subscripts, arrow, named, dots, dotLabels, anyEllipsis), sizes };
}

function outputLabels(subscripts: string, arrow: number, named: string[][], dots: number[], dotLabels: string[], anyEllipsis: boolean): string[] {
  const all = named.flat();
  if (arrow < 0) {
    // numpy's implicit output: the `...` dims, then the labels used once, in alphabetical (ASCII) order
    const once = [...new Set(all)].filter((l) => all.indexOf(l) === all.lastIndexOf(l)).sort();
    return [...(anyEllipsis ? dotLabels : []), ...once];
  }
  const text = subscripts.slice(arrow + 2);
  const term = parseTerm(text);
  const seen: string[] = [];
  for (const label of [...term.before, ...(term.after ?? [])]) {
    if (!all.includes(label)) fail(`einsum: output label ${label} is not in the inputs`);
    if (seen.includes(label)) fail(`einsum: output label ${label} is repeated`);
    seen.push(label);
  }
  if (term.after === null && dots.length > 0) fail(`einsum: the output '${text}' has no ... for the broadcast dims ${formatShape(dots)}`);
  return term.after === null ? [...term.before] : [...term.before, ...dotLabels, ...term.after];
}
