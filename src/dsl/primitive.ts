// definePrimitive: the one way to define an op, the library's own and a user's. A primitive is a
// record of rules (JAX's primitive with its entries in primitive_jvps / primitive_transposes /
// primitive_batchers): its shape rule, its portable lowering, and the rules of the
// transformations it supports. A transformation meeting a primitive without its rule throws,
// naming it (`ruleOf`); one that declares a transformation in `transforms` but gives no rule for
// it does not compile.
import type { Arith } from './arith.js';
import { arithUses, sourceArith } from './arith.js';
import { broadcastIndex, coordinates, kernelSource, localBinder, singleKernel, type InputStrides, type Lowering } from './kernel-source.js';
import type { ArithRule, BatchRule, JvpRule, PortableLowering, Primitive, Tensor, VjpRule } from './tensor.js';
import type { Shape } from './shape-types.js';
import { broadcastAll } from './shape-rules.js';

/** The transformations a primitive can have a rule for: reverse mode, forward mode, batching (vmap). */
export type Transformation = 'vjp' | 'jvp' | 'batch';

export interface Rules<A> {
  readonly vjp: VjpRule<A>;
  readonly jvp: JvpRule<A>;
  readonly batch: BatchRule<A>;
}

export interface PrimitiveSpec<A> extends Partial<Rules<A>> {
  /** unique among primitives (kernels and compiled code are keyed by it) */
  readonly name: string;
  /** the output shape; throw (ShapeError, via the rules in shape-rules.ts) when the inputs do not fit */
  readonly shape: (inputs: readonly Shape[], attrs: A) => readonly number[];
  readonly lowering: PortableLowering<A>;
}

/** `transforms` lists the transformations the primitive supports: each needs its rule (else a compile error). */
export type PrimitiveDefinition<A, T extends Transformation> = PrimitiveSpec<A> & { readonly transforms?: readonly T[] } & { readonly [K in T]-?: Rules<A>[K] };

const defined = new Map<string, Primitive<any>>();

/** @internal every primitive defined so far (the library's once its ops are loaded) */
export const definedPrimitives = (): Primitive<any>[] => [...defined.values()];

/**
 * Defines a primitive op. Apply it with `apply(p, inputs, attrs)` (the output shape comes from
 * `shape`); wrap that in a typed function for users. An elementwise op (`lowering: { arith }`)
 * needs no batching rule: vmap batches it by broadcasting.
 */
export function definePrimitive<A = void, const T extends Transformation = never>(spec: PrimitiveDefinition<A, NoInfer<T>> & { readonly transforms?: readonly T[] }): Primitive<A> {
  if (defined.has(spec.name)) throw new Error(`definePrimitive: a primitive named '${spec.name}' already exists`);
  for (const t of spec.transforms ?? []) {
    if (typeof spec[t] !== 'function') throw new Error(`definePrimitive: ${spec.name} declares '${t}' but has no ${t} rule`);
  }
  const { name, shape, lowering, vjp, jvp, batch } = spec;
  const p: Primitive<A> = { name, shape, lowering, vjp, jvp, batch };
  defined.set(name, p);
  return p;
}

/** An elementwise primitive with NumPy broadcasting over its inputs; vmap batches it by broadcasting (no rule needed). */
export function elementwisePrimitive<A = void>(name: string, arith: ArithRule<A>, vjp?: VjpRule<A>): Primitive<A> {
  return definePrimitive<A>({ name, shape: broadcastAll, lowering: { arith }, vjp });
}

/**
 * The VJP rule of a primitive whose derivative is zero wherever it exists, by definition (a
 * comparison, a mask, an index, a step): no cotangent for any input, stated rather than missing.
 * test/primitive-rules.test.ts lists the library's primitives that use it; every other one has a
 * rule of its own, so nothing else is silently zero.
 */
export const zeroDerivative: VjpRule<any> = (_g, _out, inputs) => inputs.map(() => null);

const ruleNames: Record<Transformation, string> = { vjp: 'VJP (reverse-mode) rule', jvp: 'JVP (forward-mode) rule', batch: 'batching rule' };

/** `op`'s rule for `transformation`; throws, naming the primitive, when it has none. */
export function ruleOf<T extends Transformation, A>(op: Primitive<A>, transformation: T, context: string): Rules<A>[T] {
  const rule = op[transformation];
  if (!rule) throw new Error(`${context}: primitive '${op.name}' has no ${ruleNames[transformation]}`);
  return rule as Rules<A>[T];
}

/** The elementwise rule of an op lowered as `arith`, else undefined. */
export function arithOf<A>(op: Primitive<A>): ArithRule<A> | undefined {
  return 'arith' in op.lowering ? op.lowering.arith : undefined;
}

/** Whether `op` is elementwise (lowered as `arith`): it fuses with its neighbours. */
export const isElementwise = (op: Primitive | null): boolean => !!op && 'arith' in op.lowering;

/** The gpu.js expression of elementwise node `t` over its inputs' expressions `args`. */
export function elementwiseSource(t: Tensor, args: readonly string[], local: (expr: string) => string): string {
  return arithOf(t.op!)!(sourceArith(local), args, t.attrs);
}

/** Whether elementwise node `t` uses only operations that an `Arith` lacking `lacks` has. */
export function arithWithout(t: Tensor, lacks: ReadonlySet<keyof Arith<unknown>>): boolean {
  const rule = arithOf(t.op!);
  if (!rule) return false;
  for (const m of arithUses((a) => rule(a, t.inputs.map(() => a.const(0)), t.attrs))) if (lacks.has(m)) return false;
  return true;
}

/** The primitive's portable lowering of node `t` (inputs read at `strides` where given). */
export function portableLowering(t: Tensor, strides?: InputStrides): Lowering {
  const op = t.op!;
  const l = op.lowering;
  if ('kernel' in l) return l.kernel(t, t.inputs, t.attrs, strides);
  if ('source' in l) return singleKernel(kernelSource(t.inputs.map((_, k) => `x${k}`), l.source(t, t.inputs, t.attrs)), t.size);
  const at = t.inputs.map((x) => broadcastIndex(x.shape, t.shape));
  const reads = at.map((ix, k) => `const v${k} = x${k}[${ix}];`);
  const coords = at.every((ix) => ix === 'i') ? [] : [coordinates(t.shape)];
  const { lines, local } = localBinder('u');
  const value = l.arith(sourceArith(local), t.inputs.map((_, k) => `v${k}`), t.attrs);
  return singleKernel(kernelSource(t.inputs.map((_, k) => `x${k}`), [...coords, ...reads, ...lines, `return ${value};`].join('\n  ')), t.size);
}
