// Plans by the structure of the graph they compute. The natural training loop builds a graph of the
// same structure every step (new tensors, the same ops, attributes and shapes): planning it again
// (fusion groups, lowerings, lifetimes) costs more than some of its kernels at small batches, so an
// evaluation whose graph has the structure of an earlier one reuses that plan, its tensors and host
// values swapped in. The structure holds everything makePlan reads of a tensor: which tensors are
// bound (realized) or host leaves (and whether kept), each op with its attributes, shape and inputs,
// the targets and the backend. It is kept as data and compared node by node with the graph at hand
// (no key text is built: that walk runs every step, before any kernel). A graph with an attribute
// that is not plain data (a function, an object that is not a plain record or array) is planned
// afresh every time.
import type { BackendName } from './backend.js';
import { makePlan, uploadStep, type OneStep, type Plan, type Step } from './plan.js';
import type { Primitive, Tensor } from './tensor.js';
import { attrsSnapshot, sameAttrs } from './attrs-key.js';
import { shapesEqual } from './shape-rules.js';

const enum Kind {
  Bound,
  /** a host leaf freed after the evaluation (transient) */
  Host,
  /** a host leaf kept on the device */
  KeptHost,
  Op,
}

/** What a graph in evaluation order is, as makePlan sees it: node k's kind, op, attributes (a snapshot), shape and input positions. */
interface Structure {
  readonly backend: BackendName;
  readonly kinds: readonly Kind[];
  readonly ops: readonly (Primitive | null)[];
  readonly attrs: readonly unknown[];
  readonly shapes: readonly (readonly number[])[];
  /** node k's inputs are the positions inputs[inputStart[k]] .. inputs[inputStart[k + 1] - 1] */
  readonly inputs: Int32Array;
  readonly inputStart: Int32Array;
  readonly targets: Int32Array;
}

/** A plan without its tensors: the position in `order` of each slot's tensor (-1: a scratch slot). */
interface Template {
  readonly structure: Structure;
  readonly plan: Plan;
  readonly slotIndex: readonly number[];
  /** the upload steps, by index, which take the host values of the graph at hand */
  readonly uploads: readonly number[];
}

/** Structures kept (least recently used first): a training loop cycles through a few. */
const limit = 16;
const templates: Template[] = [];
let hits = 0;

/** How many evaluations reused a plan so far (tests check that the natural loop does). */
export const planCacheHits = (): number => hits;

const kindOf = (t: Tensor): Kind | null => (t.storage ? Kind.Bound : t.host ? (t.transient ? Kind.Host : Kind.KeptHost) : t.op ? Kind.Op : null);

/** The structure of evaluating `targets` over `order` on `backend`, or null when an attribute is not plain data. */
function structureOf(targets: readonly Tensor[], order: readonly Tensor[], backend: BackendName): Structure | null {
  const index = new Map<Tensor, number>();
  const kinds: Kind[] = [];
  const ops: (Primitive | null)[] = [];
  const attrs: unknown[] = [];
  const inputs: number[] = [];
  const inputStart = new Int32Array(order.length + 1);
  for (let k = 0; k < order.length; k++) {
    const t = order[k];
    index.set(t, k);
    const kind = kindOf(t);
    if (kind === null) return null;
    kinds.push(kind);
    if (kind === Kind.Op) {
      const snapshot = attrsSnapshot(t.attrs);
      if (!sameAttrs(snapshot, t.attrs)) return null;
      ops.push(t.op);
      attrs.push(snapshot);
      for (const i of t.inputs) inputs.push(index.get(i)!);
    } else {
      ops.push(null);
      attrs.push(undefined);
    }
    inputStart[k + 1] = inputs.length;
  }
  const shapes = order.map((t) => t.shape.slice());
  return { backend, kinds, ops, attrs, shapes, inputs: Int32Array.from(inputs), inputStart, targets: Int32Array.from(targets, (t) => index.get(t)!) };
}

/** Whether evaluating `targets` over `order` on `backend` has structure `s`. */
function matches(s: Structure, targets: readonly Tensor[], order: readonly Tensor[], backend: BackendName): boolean {
  if (s.backend !== backend || s.kinds.length !== order.length || s.targets.length !== targets.length) return false;
  for (let k = 0; k < order.length; k++) {
    const t = order[k];
    const kind = kindOf(t);
    if (kind !== s.kinds[k] || !shapesEqual(s.shapes[k], t.shape)) return false;
    if (kind !== Kind.Op) continue;
    const from = s.inputStart[k];
    if (t.op !== s.ops[k] || t.inputs.length !== s.inputStart[k + 1] - from) return false;
    // the positions are of earlier nodes of `order`, all distinct: an identity check says it is that input
    for (let j = 0; j < t.inputs.length; j++) if (order[s.inputs[from + j]] !== t.inputs[j]) return false;
    if (!sameAttrs(s.attrs[k], t.attrs)) return false;
  }
  for (let j = 0; j < targets.length; j++) if (order[s.targets[j]] !== targets[j]) return false;
  return true;
}

const noValues = new Float32Array(0);
const isUpload = (s: Step): s is OneStep => !('outs' in s) && s.args.length === 0 && s.label === 'upload';

/** The plan without the graph it was made for (neither its tensors nor its host values are kept alive). */
function templateOf(structure: Structure, plan: Plan, order: readonly Tensor[]): Template {
  const index = new Map(order.map((t, k) => [t, k]));
  const slotIndex = plan.nodes.map((t) => (t ? index.get(t)! : -1));
  const uploads = plan.steps.flatMap((s, k) => (isUpload(s) ? [k] : []));
  const steps = plan.steps.slice();
  for (const k of uploads) {
    const step = steps[k];
    if (isUpload(step)) steps[k] = { ...uploadStep(noValues, step.out), frees: step.frees };
  }
  return { structure, plan: { ...plan, nodes: [], steps }, slotIndex, uploads };
}

/** The template's plan over `order`, a graph of its structure. */
function rebind({ plan, slotIndex, uploads }: Template, order: readonly Tensor[]): Plan {
  const nodes = slotIndex.map((k) => (k < 0 ? null : order[k]));
  if (!uploads.length) return { ...plan, nodes };
  const steps: Step[] = plan.steps.slice();
  for (const k of uploads) {
    const step = steps[k];
    if (isUpload(step)) steps[k] = { ...uploadStep(nodes[step.out]!.host!, step.out), frees: step.frees };
  }
  return { ...plan, nodes, steps };
}

/**
 * makePlan for an evaluation (bound: the realized tensors), reusing the plan of an earlier graph of
 * the same structure. `ran()` keeps a new plan for later graphs once it has run: a lowering may
 * finish compiling on its first run, from the graph it was made for.
 */
export function evaluationPlan(targets: readonly Tensor[], order: readonly Tensor[], backend: BackendName): { readonly plan: Plan; ran(): void } {
  // most recently used last
  for (let k = templates.length - 1; k >= 0; k--) {
    const known = templates[k];
    if (!matches(known.structure, targets, order, backend)) continue;
    templates.splice(k, 1);
    templates.push(known);
    hits++;
    return { plan: rebind(known, order), ran: () => undefined };
  }
  const plan = makePlan(targets, order, backend, (t) => t.storage !== null);
  const structure = structureOf(targets, order, backend);
  const template = structure && templateOf(structure, plan, order);
  const ran = () => {
    if (!template) return;
    if (templates.length >= limit) templates.shift();
    templates.push(template);
  };
  return { plan, ran };
}
