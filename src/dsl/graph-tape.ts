// A piece of graph kept as data, to be made again over other inputs: each tensor a function made
// (its op, attributes, shape, and inputs by position: an input of the function, or an earlier
// entry) and which of them are its results. Made again, it is the graph the function would build
// over inputs of the same structure, without the function's logic or its shape rules. Keeps no
// tensor and no tensor's memory alive. Used where a graph of the same structure is built over and
// over: backward passes (backward-tape.ts) and einsum's lowering.
import { onTensorCreated, postOrder, Tensor, type Primitive } from './tensor.js';
import { attrsSnapshot, sameAttrs } from './attrs-key.js';

/** A made tensor: its inputs as refs (k >= 0: input k; -1 - m: entry m). */
interface Entry {
  readonly op: Primitive<any> | null;
  readonly attrs: unknown;
  readonly shape: readonly number[];
  readonly inputs: readonly number[];
  /** a leaf's values (a copy) */
  readonly host: Float32Array | null;
  readonly transient: boolean;
}

export interface GraphTape {
  readonly entries: readonly Entry[];
  /** each result as a ref; null for none */
  readonly results: readonly (number | null)[];
}

/**
 * Runs `build` (synchronously) and returns its result and the tensors it made, in the order it made
 * them: those `kept(result)` needs (`live`, what a tape records) and the others.
 */
export function madeBy<R>(build: () => R, kept: (result: R) => readonly (Tensor | undefined)[]): { result: R; live: Tensor[]; dead: Tensor[] } {
  const made: Tensor[] = [];
  const stop = onTensorCreated((t) => made.push(t));
  let result: R;
  try {
    result = build();
  } finally {
    stop();
  }
  if (!made.length) return { result, live: [], dead: [] };
  // ids count up as tensors are made: those from made[0]'s on are build's
  const first = made[0].id;
  const roots = kept(result).filter((t): t is Tensor => t !== undefined);
  const needed = new Set(postOrder(roots, (t) => t.id < first));
  return { result, live: made.filter((t) => needed.has(t)), dead: made.filter((t) => !needed.has(t)) };
}

/**
 * The tape of `made` (in the order they were made; inputs before their users), whose other inputs
 * `inputRef` numbers, with `results` (made tensors or inputs). Null when one cannot be kept: an
 * attribute that is not plain data, a tensor that is neither made nor an input, a realized leaf.
 */
export function tapeOf(made: readonly Tensor[], inputRef: (t: Tensor) => number | null, results: readonly (Tensor | undefined)[]): GraphTape | null {
  const entryOf = new Map<Tensor, number>();
  const refOf = (t: Tensor): number | null => {
    const m = entryOf.get(t);
    return m !== undefined ? -1 - m : inputRef(t);
  };
  const entries: Entry[] = [];
  for (const t of made) {
    if (!t.op && !t.host) return null;
    const attrs = attrsSnapshot(t.attrs);
    if (!sameAttrs(attrs, t.attrs)) return null;
    const inputs: number[] = [];
    for (const i of t.inputs) {
      const ref = refOf(i);
      if (ref === null) return null;
      inputs.push(ref);
    }
    entryOf.set(t, entries.length);
    entries.push({ op: t.op, attrs, shape: t.shape.slice(), inputs, host: t.host && t.host.slice(), transient: t.transient });
  }
  const refs: (number | null)[] = [];
  for (const r of results) {
    const ref = r ? refOf(r) : null;
    if (r && ref === null) return null;
    refs.push(ref);
  }
  return { entries, results: refs };
}

/** The tape's graph made over the inputs `input(k)`: its results, in order (null where none). */
export function replayTape(tape: GraphTape, input: (ref: number) => Tensor): (Tensor | null)[] {
  const made: Tensor[] = [];
  const at = (ref: number) => (ref >= 0 ? input(ref) : made[-1 - ref]);
  for (const e of tape.entries) {
    const t = e.op ? new Tensor(e.shape, e.op, e.inputs.map(at), e.attrs, null) : new Tensor(e.shape, null, [], undefined, e.host!.slice());
    t.transient = e.transient;
    made.push(t);
  }
  return tape.results.map((ref) => (ref === null ? null : at(ref)));
}
