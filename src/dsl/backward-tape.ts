// Backward passes replayed. The natural training loop differentiates a graph of the same structure
// every step, and running the VJP rules again (their shape rules, sums of cotangents, pruning what
// no cotangent needs) was ~0.4 ms of a ~8 ms quick-preset step at batch 16, more than anything else
// the step does on the host. A backward pass is kept as a tape (graph-tape.ts): each tensor it made
// and kept, with its inputs by position (a tensor of the forward graph by its place in it, or an
// earlier entry), keyed by the forward graph's structure. A later graph of the same structure gets
// those tensors made from its own, and no rule runs. VJP rules build graphs from shapes and attributes and never read values, so the same
// structure gives the same backward graph. A graph with an attribute that is not plain data, or a
// rule that reaches a tensor outside the graph, is differentiated afresh every time.
import type { Primitive, Tensor } from './tensor.js';
import { attrsSnapshot, sameAttrs } from './attrs-key.js';
import { replayTape, tapeOf, type GraphTape } from './graph-tape.js';
import { shapesEqual } from './shape-rules.js';

/** A forward node as autodiff records it. */
export interface ForwardNode {
  readonly node: Tensor;
  readonly op: Primitive<any>;
  readonly inputs: readonly Tensor[];
  readonly attrs: unknown;
}

/**
 * The tensors a backward pass may reach, numbered: the distinct leaves first (in order), then for
 * each node its inputs not seen yet and the node, then the output and its cotangent.
 */
export interface ForwardTable {
  readonly tensors: readonly Tensor[];
  readonly index: ReadonlyMap<Tensor, number>;
  /** each leaf's number (a leaf given twice has the first one's) */
  readonly leafRefs: readonly number[];
  readonly leafCount: number;
  /** per node, its inputs' numbers */
  readonly inputRefs: readonly (readonly number[])[];
  readonly outRef: number;
  readonly seedRef: number;
}

export function forwardTable(leaves: readonly Tensor[], nodes: readonly ForwardNode[], out: Tensor, seed: Tensor): ForwardTable {
  const index = new Map<Tensor, number>();
  const tensors: Tensor[] = [];
  const ref = (t: Tensor) => {
    let k = index.get(t);
    if (k === undefined) {
      k = tensors.length;
      index.set(t, k);
      tensors.push(t);
    }
    return k;
  };
  const leafRefs = leaves.map(ref);
  const leafCount = tensors.length;
  const inputRefs = nodes.map((n) => {
    const refs = n.inputs.map(ref);
    ref(n.node);
    return refs;
  });
  return { tensors, index, leafRefs, leafCount, inputRefs, outRef: ref(out), seedRef: ref(seed) };
}

/** What a tape is kept for: the forward graph's structure (node k's op, attributes and inputs; every tensor's shape). */
interface Structure {
  readonly shapes: readonly (readonly number[])[];
  readonly ops: readonly Primitive<any>[];
  readonly attrs: readonly unknown[];
  readonly inputRefs: readonly (readonly number[])[];
  readonly leafRefs: readonly number[];
  readonly outRef: number;
  readonly seedRef: number;
}

interface Tape {
  readonly structure: Structure;
  /** the passes' tensors; its results are the cotangents of the distinct leaves (null where none reaches one) */
  readonly graph: GraphTape;
}

/** Tapes kept (least recently used first): a program differentiates a few structures. */
const limit = 8;
const tapes: Tape[] = [];
let replays = 0;

/** How many backward passes were replayed so far (tests check that the natural loop's are). */
export const backwardReplays = (): number => replays;

/** @internal Forgets every tape: the next backward pass of each structure runs its rules (tests compare the two). */
export function forgetBackwardTapes(): void {
  tapes.length = 0;
}

function matches(s: Structure, table: ForwardTable, nodes: readonly ForwardNode[]): boolean {
  if (s.shapes.length !== table.tensors.length || s.ops.length !== nodes.length || s.outRef !== table.outRef || s.seedRef !== table.seedRef) return false;
  // (shapesEqual compares any two lists of numbers: refs here)
  if (!shapesEqual(s.leafRefs, table.leafRefs)) return false;
  for (let k = 0; k < s.shapes.length; k++) if (!shapesEqual(s.shapes[k], table.tensors[k].shape)) return false;
  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k];
    if (n.op !== s.ops[k] || !shapesEqual(s.inputRefs[k], table.inputRefs[k]) || !sameAttrs(s.attrs[k], n.attrs)) return false;
  }
  return true;
}

/**
 * The cotangents of the distinct leaves (a map from leaf), made from the tape of an earlier graph of
 * this structure; null when there is none.
 */
export function replayBackward(table: ForwardTable, nodes: readonly ForwardNode[]): Map<Tensor, Tensor> | null {
  for (let k = tapes.length - 1; k >= 0; k--) {
    const tape = tapes[k];
    if (!matches(tape.structure, table, nodes)) continue;
    tapes.splice(k, 1);
    tapes.push(tape);
    replays++;
    const cotangents = new Map<Tensor, Tensor>();
    replayTape(tape.graph, (ref) => table.tensors[ref]).forEach((cot, leaf) => cot && cotangents.set(table.tensors[leaf], cot));
    return cotangents;
  }
  return null;
}

/**
 * Keeps the tape of a backward pass that ran its rules: `made` are the tensors it made and kept,
 * in the order it made them; `cotangents` its result. Nothing is kept when an attribute is not plain
 * data or a tensor is reached that is neither in the table nor made by the pass.
 */
export function recordBackward(table: ForwardTable, nodes: readonly ForwardNode[], made: readonly Tensor[], cotangents: ReadonlyMap<Tensor, Tensor>): void {
  const leaves = table.tensors.slice(0, table.leafCount);
  const graph = tapeOf(made, (t) => table.index.get(t) ?? null, leaves.map((leaf) => cotangents.get(leaf)));
  if (!graph) return;
  const attrs: unknown[] = [];
  for (const n of nodes) {
    const snapshot = attrsSnapshot(n.attrs);
    if (!sameAttrs(snapshot, n.attrs)) return;
    attrs.push(snapshot);
  }
  const structure: Structure = {
    shapes: table.tensors.map((t) => t.shape.slice()),
    ops: nodes.map((n) => n.op),
    attrs,
    inputRefs: table.inputRefs,
    leafRefs: table.leafRefs,
    outRef: table.outRef,
    seedRef: table.seedRef,
  };
  if (tapes.length >= limit) tapes.shift();
  tapes.push({ structure, graph });
}
