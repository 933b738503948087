// Plans by the structure of the graph they compute. The natural training loop builds a graph of the
// same structure every step (new tensors, the same ops, attributes and shapes): planning it again
// (fusion groups, lowerings, lifetimes) costs more than some of its kernels at small batches, so an
// evaluation whose graph has the structure of an earlier one reuses that plan, its tensors and host
// values swapped in. The key holds everything makePlan reads of a tensor: which tensors are bound
// (realized) or host leaves (and whether kept), each op with its attributes, shape and inputs, the
// targets and the backend. A graph whose attributes the key cannot spell (a function, an object
// that is not a plain record or array) is planned afresh every time.
import type { BackendName } from './backend.js';
import { makePlan, uploadStep, type OneStep, type Plan, type Step } from './plan.js';
import type { Primitive, Tensor } from './tensor.js';
import { attrsKey } from './attrs-key.js';

/** A plan without its tensors: the position in `order` of each slot's tensor (-1: a scratch slot). */
interface Template {
  readonly plan: Plan;
  readonly slotIndex: readonly number[];
  /** the upload steps, by index, which take the host values of the graph at hand */
  readonly uploads: readonly number[];
}

/** Structures kept (least recently used goes first): a training loop cycles through a few. */
const limit = 16;
const templates = new Map<string, Template>();
let hits = 0;

/** How many evaluations reused a plan so far (tests check that the natural loop does). */
export const planCacheHits = (): number => hits;

// primitives' names are unique but arbitrary text: the key spells each by a number
const opIds = new WeakMap<Primitive, number>();
let nextOpId = 0;
const opId = (op: Primitive) => {
  let id = opIds.get(op);
  if (id === undefined) opIds.set(op, (id = nextOpId++));
  return id;
};

/** The structure of evaluating `targets` over `order` on `backend`, or null when it cannot be spelled. */
function structureKey(targets: readonly Tensor[], order: readonly Tensor[], backend: BackendName): string | null {
  const index = new Map<Tensor, number>();
  let key = `${backend};`;
  for (let k = 0; k < order.length; k++) {
    const t = order[k];
    index.set(t, k);
    const shape = t.shape.join(',');
    if (t.storage) key += `B${shape};`;
    else if (t.host) key += `${t.transient ? 'h' : 'H'}${shape};`;
    else {
      if (!t.op) return null;
      const attrs = attrsKey(t.attrs);
      if (attrs === null) return null;
      let inputs = '';
      for (const i of t.inputs) inputs += `${index.get(i)},`;
      key += `${opId(t.op)}(${inputs})${attrs}[${shape}];`;
    }
  }
  for (const t of targets) key += `T${index.get(t)}`;
  return key;
}

const noValues = new Float32Array(0);
const isUpload = (s: Step): s is OneStep => !('outs' in s) && s.args.length === 0 && s.label === 'upload';

/** The plan without the graph it was made for (neither its tensors nor its host values are kept alive). */
function templateOf(plan: Plan, order: readonly Tensor[]): Template {
  const index = new Map(order.map((t, k) => [t, k]));
  const slotIndex = plan.nodes.map((t) => (t ? index.get(t)! : -1));
  const uploads = plan.steps.flatMap((s, k) => (isUpload(s) ? [k] : []));
  const steps = plan.steps.slice();
  for (const k of uploads) {
    const step = steps[k];
    if (isUpload(step)) steps[k] = { ...uploadStep(noValues, step.out), frees: step.frees };
  }
  return { plan: { ...plan, nodes: [], steps }, slotIndex, uploads };
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
  const realized = (t: Tensor) => t.storage !== null;
  const key = structureKey(targets, order, backend);
  const known = key === null ? undefined : templates.get(key);
  if (key !== null && known) {
    // most recently used last
    templates.delete(key);
    templates.set(key, known);
    hits++;
    return { plan: rebind(known, order), ran: () => undefined };
  }
  const plan = makePlan(targets, order, backend, realized);
  const template = key === null ? null : templateOf(plan, order);
  const ran = () => {
    if (key === null || !template) return;
    if (templates.size >= limit) templates.delete(templates.keys().next().value!);
    templates.set(key, template);
  };
  return { plan, ran };
}
