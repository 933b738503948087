// The ResNet parameter tree (immutable, typed by the config's widths) and its PyTorch state_dict
// names (test/support/resnet_reference.py builds the same module tree).
import { exactMul, type Tensor } from '../dsl/index.js';
import type { Mul } from '../dsl/shape-types.js';
import { heUniform, initGroupNorm, initLinear, seedStream, type GroupNorm, type Linear, type ParameterReader } from '../nn/index.js';
import type { ResnetConfig, ResnetConfigInput } from './config.js';

/** Two 3×3 convs, each followed by GroupNorm (conv1: I → O, conv2: O → O). */
export interface BasicBlock<I extends number, O extends number> {
  readonly conv1: Tensor<[O, I, 3, 3]>;
  readonly norm1: GroupNorm<O>;
  readonly conv2: Tensor<[O, O, 3, 3]>;
  readonly norm2: GroupNorm<O>;
}

/** The first block of a downsampling stage: conv1 has stride 2, and the shortcut is a stride-2 1×1 conv and GroupNorm. */
export interface DownBlock<I extends number, O extends number> extends BasicBlock<I, O> {
  readonly shortcut: { readonly conv: Tensor<[O, I, 1, 1]>; readonly norm: GroupNorm<O> };
}

/** A downsampling stage: its first block, then `blocks − 1` blocks at the new width. */
export interface DownStage<I extends number, O extends number> {
  readonly down: DownBlock<I, O>;
  readonly rest: readonly BasicBlock<O, O>[];
}

type W1<C extends ResnetConfigInput> = C['width'];
type W2<C extends ResnetConfigInput> = Mul<2, C['width']>;
type W3<C extends ResnetConfigInput> = Mul<4, C['width']>;

export interface ResnetParams<C extends ResnetConfigInput = ResnetConfigInput> {
  readonly stem: { readonly conv: Tensor<[W1<C>, C['channels'], 3, 3]>; readonly norm: GroupNorm<W1<C>> };
  readonly layer1: readonly BasicBlock<W1<C>, W1<C>>[];
  readonly layer2: DownStage<W1<C>, W2<C>>;
  readonly layer3: DownStage<W2<C>, W3<C>>;
  readonly fc: Linear<W3<C>, C['classes']>;
}

function widths<C extends ResnetConfigInput>(c: C): [W1<C>, W2<C>, W3<C>] {
  const w: C['width'] = c.width;
  return [w, exactMul(2, w), exactMul(4, w)];
}

/** He-uniform convs, GroupNorm 1/0, the classifier Xavier-uniform with a zero bias. */
export function init<C extends ResnetConfigInput>(cfg: ResnetConfig<C>, { seed }: { readonly seed: number }): ResnetParams<C> {
  const c: C = cfg;
  const [w1, w2, w3] = widths(c);
  const next = seedStream(seed);
  const block = <const I extends number, const O extends number>(i: I, o: O): BasicBlock<I, O> => ({
    conv1: heUniform(o, i, 3, next()),
    norm1: initGroupNorm(o),
    conv2: heUniform(o, o, 3, next()),
    norm2: initGroupNorm(o),
  });
  const stage = <const I extends number, const O extends number>(i: I, o: O): DownStage<I, O> => ({
    down: { ...block(i, o), shortcut: { conv: heUniform(o, i, 1, next()), norm: initGroupNorm(o) } },
    rest: Array.from({ length: c.blocks - 1 }, () => block(o, o)),
  });
  return {
    stem: { conv: heUniform(w1, c.channels, 3, next()), norm: initGroupNorm(w1) },
    layer1: Array.from({ length: c.blocks }, () => block(w1, w1)),
    layer2: stage(w1, w2),
    layer3: stage(w2, w3),
    fc: initLinear(w3, c.classes, next()),
  };
}

const blockEntries = (n: string, b: BasicBlock<number, number>): Array<[string, Tensor]> => [
  [`${n}.conv1.weight`, b.conv1],
  [`${n}.norm1.weight`, b.norm1.weight],
  [`${n}.norm1.bias`, b.norm1.bias],
  [`${n}.conv2.weight`, b.conv2],
  [`${n}.norm2.weight`, b.norm2.weight],
  [`${n}.norm2.bias`, b.norm2.bias],
];
const stageEntries = (n: string, s: DownStage<number, number>): Array<[string, Tensor]> => [
  ...blockEntries(`${n}.0`, s.down),
  [`${n}.0.shortcut.0.weight`, s.down.shortcut.conv],
  [`${n}.0.shortcut.1.weight`, s.down.shortcut.norm.weight],
  [`${n}.0.shortcut.1.bias`, s.down.shortcut.norm.bias],
  ...s.rest.flatMap((b, i) => blockEntries(`${n}.${i + 1}`, b)),
];

/** (PyTorch state_dict name, tensor) for every parameter, in the model's order. */
export function stateDict<C extends ResnetConfigInput>(p: ResnetParams<C>): Array<[string, Tensor]> {
  return [
    ['stem.0.weight', p.stem.conv],
    ['stem.1.weight', p.stem.norm.weight],
    ['stem.1.bias', p.stem.norm.bias],
    ...p.layer1.flatMap((b, i) => blockEntries(`layer1.${i}`, b)),
    ...stageEntries('layer2', p.layer2),
    ...stageEntries('layer3', p.layer3),
    ['fc.weight', p.fc.weight],
    ['fc.bias', p.fc.bias],
  ];
}

/** Rebuilds a parameter tree by state_dict name, each tensor read with the shape the config implies. */
export function fromStateDict<C extends ResnetConfigInput>(cfg: ResnetConfig<C>, get: ParameterReader): ResnetParams<C> {
  const c: C = cfg;
  const [w1, w2, w3] = widths(c);
  const norm = <const O extends number>(n: string, o: O): GroupNorm<O> => ({ weight: get(`${n}.weight`, [o]), bias: get(`${n}.bias`, [o]) });
  const block = <const I extends number, const O extends number>(n: string, i: I, o: O): BasicBlock<I, O> => ({
    conv1: get(`${n}.conv1.weight`, [o, i, 3, 3]),
    norm1: norm(`${n}.norm1`, o),
    conv2: get(`${n}.conv2.weight`, [o, o, 3, 3]),
    norm2: norm(`${n}.norm2`, o),
  });
  const stage = <const I extends number, const O extends number>(n: string, i: I, o: O): DownStage<I, O> => ({
    down: { ...block(`${n}.0`, i, o), shortcut: { conv: get(`${n}.0.shortcut.0.weight`, [o, i, 1, 1]), norm: norm(`${n}.0.shortcut.1`, o) } },
    rest: Array.from({ length: c.blocks - 1 }, (_, k) => block(`${n}.${k + 1}`, o, o)),
  });
  return {
    stem: { conv: get('stem.0.weight', [w1, c.channels, 3, 3]), norm: norm('stem.1', w1) },
    layer1: Array.from({ length: c.blocks }, (_, k) => block(`layer1.${k}`, w1, w1)),
    layer2: stage('layer2', w1, w2),
    layer3: stage('layer3', w2, w3),
    fc: { weight: get('fc.weight', [c.classes, w3]), bias: get('fc.bias', [c.classes]) },
  };
}

/** Expected (name, shape) of every parameter for a config, in stateDict's order, for checkpoint validation. */
export function expectedShapes(c: ResnetConfigInput): Array<{ name: string; shape: number[] }> {
  const [w1, w2, w3] = [c.width, 2 * c.width, 4 * c.width];
  const out: Array<{ name: string; shape: number[] }> = [];
  const add = (name: string, ...shape: number[]) => out.push({ name, shape });
  const norm = (n: string, o: number) => (add(`${n}.weight`, o), add(`${n}.bias`, o));
  const block = (n: string, i: number, o: number) => (add(`${n}.conv1.weight`, o, i, 3, 3), norm(`${n}.norm1`, o), add(`${n}.conv2.weight`, o, o, 3, 3), norm(`${n}.norm2`, o));
  const stage = (n: string, i: number, o: number) => {
    block(`${n}.0`, i, o);
    add(`${n}.0.shortcut.0.weight`, o, i, 1, 1);
    norm(`${n}.0.shortcut.1`, o);
    for (let k = 1; k < c.blocks; k++) block(`${n}.${k}`, o, o);
  };
  add('stem.0.weight', w1, c.channels, 3, 3);
  norm('stem.1', w1);
  for (let k = 0; k < c.blocks; k++) block(`layer1.${k}`, w1, w1);
  stage('layer2', w1, w2);
  stage('layer3', w2, w3);
  add('fc.weight', c.classes, w3);
  add('fc.bias', c.classes);
  return out;
}
