// The ViT parameter tree (immutable, typed) and its PyTorch state_dict names.
import { exactMul, tensorsIn, type Mutable, type Tensor } from '../dsl/index.js';
import type { Shape } from '../dsl/shape-types.js';
import { vitDerived, type VitDims } from './shape.js';
import { initLayerNorm, initLinear, initMlp, initMultiheadAttention, seedStream, xavierUniform } from '../nn/index.js';
import type { LayerNorm, Linear, Mlp, MultiheadAttention, ParameterReader } from '../nn/index.js';
import type { VitConfig, VitConfigInput } from './config.js';

export interface EncoderLayer<E extends number, D extends number> {
  readonly selfAtten: MultiheadAttention<E>;
  readonly sublayer1: LayerNorm<E>;
  readonly mlp: Mlp<E, D>;
  readonly sublayer2: LayerNorm<E>;
}

type E_<C extends VitConfigInput> = C['embedDim'];

export interface VitParams<C extends VitConfigInput = VitConfigInput> {
  readonly posEmbedding: Tensor<[1, VitDims<C>['tokens'], E_<C>]>;
  readonly classToken: Tensor<[1, 1, E_<C>]>;
  readonly seqProject: { readonly linear: Linear<VitDims<C>['patchDim'], E_<C>>; readonly ln: LayerNorm<E_<C>> };
  readonly encoder: readonly EncoderLayer<E_<C>, C['mlpDim']>[];
  readonly ln: LayerNorm<E_<C>>;
  readonly classifier: Linear<E_<C>, C['classes']>;
}

/** Xavier-uniform for every parameter with more than one dim (pos_embedding and class_token too), zero biases, LayerNorm 1/0. */
export function init<C extends VitConfigInput>(cfg: VitConfig<C>, { seed }: { readonly seed: number }): VitParams<C> {
  const c: C = cfg;
  const { tokens, patchDim } = vitDerived<C>(c);
  const next = seedStream(seed);
  const e: C['embedDim'] = c.embedDim;
  return {
    posEmbedding: xavierUniform([1, tokens, e], next()),
    classToken: xavierUniform([1, 1, e], next()),
    seqProject: { linear: initLinear(patchDim, e, next()), ln: initLayerNorm(e) },
    encoder: Array.from({ length: c.layers }, () => ({
      selfAtten: initMultiheadAttention(e, next),
      sublayer1: initLayerNorm(e),
      mlp: initMlp(e, c.mlpDim, next),
      sublayer2: initLayerNorm(e),
    })),
    ln: initLayerNorm(e),
    classifier: initLinear(e, c.classes, next()),
  };
}

/** Number of scalars in a parameter tree. */
export function parameterCount(tree: unknown): number {
  return tensorsIn(tree).reduce((s, t) => s + t.size, 0);
}

/** (PyTorch state_dict name, tensor) for every parameter, in the model's order. */
export function stateDict<C extends VitConfigInput>(p: VitParams<C>): Array<[string, Tensor]> {
  const out: Array<[string, Tensor]> = [
    ['pos_embedding', p.posEmbedding],
    ['class_token', p.classToken],
    ['seq_project.0.weight', p.seqProject.linear.weight],
    ['seq_project.0.bias', p.seqProject.linear.bias],
    ['seq_project.1.weight', p.seqProject.ln.weight],
    ['seq_project.1.bias', p.seqProject.ln.bias],
  ];
  p.encoder.forEach((l, i) => {
    const n = `encoder.${i}.`;
    out.push(
      [`${n}self_atten.in_proj_weight`, l.selfAtten.inProjWeight],
      [`${n}self_atten.in_proj_bias`, l.selfAtten.inProjBias],
      [`${n}self_atten.out_proj.weight`, l.selfAtten.outProj.weight],
      [`${n}self_atten.out_proj.bias`, l.selfAtten.outProj.bias],
      [`${n}sublayer_1.ln.weight`, l.sublayer1.weight],
      [`${n}sublayer_1.ln.bias`, l.sublayer1.bias],
      [`${n}mlp.0.weight`, l.mlp.fc1.weight],
      [`${n}mlp.0.bias`, l.mlp.fc1.bias],
      [`${n}mlp.3.weight`, l.mlp.fc2.weight],
      [`${n}mlp.3.bias`, l.mlp.fc2.bias],
      [`${n}sublayer_2.ln.weight`, l.sublayer2.weight],
      [`${n}sublayer_2.ln.bias`, l.sublayer2.bias],
    );
  });
  out.push(['ln.weight', p.ln.weight], ['ln.bias', p.ln.bias], ['classifier.weight', p.classifier.weight], ['classifier.bias', p.classifier.bias]);
  return out;
}


/** Rebuilds a parameter tree from tensors by state_dict name, each read with the shape the config implies. */
export function fromStateDict<C extends VitConfigInput>(cfg: VitConfig<C>, get: ParameterReader): VitParams<C> {
  const c: C = cfg;
  const { tokens, patchDim } = vitDerived<C>(c);
  const e: C['embedDim'] = c.embedDim;
  const lin = <const I extends number, const O extends number>(n: string, inDim: I, outDim: O) => ({ weight: get(`${n}.weight`, [outDim, inDim]), bias: get(`${n}.bias`, [outDim]) });
  const norm = (n: string) => ({ weight: get(`${n}.weight`, [e]), bias: get(`${n}.bias`, [e]) });
  const rows = exactMul(3, e);
  const layer = (n: string): EncoderLayer<C['embedDim'], C['mlpDim']> => ({
    selfAtten: {
      inProjWeight: get(`${n}self_atten.in_proj_weight`, [rows, e]),
      inProjBias: get(`${n}self_atten.in_proj_bias`, [rows]),
      outProj: lin(`${n}self_atten.out_proj`, e, e),
    },
    sublayer1: norm(`${n}sublayer_1.ln`),
    mlp: { fc1: lin(`${n}mlp.0`, e, c.mlpDim), fc2: lin(`${n}mlp.3`, c.mlpDim, e) },
    sublayer2: norm(`${n}sublayer_2.ln`),
  });
  return {
    posEmbedding: get('pos_embedding', [1, tokens, e]),
    classToken: get('class_token', [1, 1, e]),
    seqProject: { linear: lin('seq_project.0', patchDim, e), ln: norm('seq_project.1') },
    encoder: Array.from({ length: c.layers }, (_, i) => layer(`encoder.${i}.`)),
    ln: norm('ln'),
    classifier: lin('classifier', e, c.classes),
  };
}

/** Expected (name, shape) of every parameter for a config, for checkpoint validation. */
export function expectedShapes(cfg: VitConfig): Array<{ name: string; shape: number[] }> {
  const e = cfg.embedDim;
  const d = cfg.mlpDim;
  const out = [
    { name: 'pos_embedding', shape: [1, cfg.tokens, e] },
    { name: 'class_token', shape: [1, 1, e] },
    { name: 'seq_project.0.weight', shape: [e, cfg.patchDim] },
    { name: 'seq_project.0.bias', shape: [e] },
    { name: 'seq_project.1.weight', shape: [e] },
    { name: 'seq_project.1.bias', shape: [e] },
  ];
  for (let i = 0; i < cfg.layers; i++) {
    const n = `encoder.${i}.`;
    out.push(
      { name: `${n}self_atten.in_proj_weight`, shape: [3 * e, e] },
      { name: `${n}self_atten.in_proj_bias`, shape: [3 * e] },
      { name: `${n}self_atten.out_proj.weight`, shape: [e, e] },
      { name: `${n}self_atten.out_proj.bias`, shape: [e] },
      { name: `${n}sublayer_1.ln.weight`, shape: [e] },
      { name: `${n}sublayer_1.ln.bias`, shape: [e] },
      { name: `${n}mlp.0.weight`, shape: [d, e] },
      { name: `${n}mlp.0.bias`, shape: [d] },
      { name: `${n}mlp.3.weight`, shape: [e, d] },
      { name: `${n}mlp.3.bias`, shape: [e] },
      { name: `${n}sublayer_2.ln.weight`, shape: [e] },
      { name: `${n}sublayer_2.ln.bias`, shape: [e] },
    );
  }
  out.push({ name: 'ln.weight', shape: [e] }, { name: 'ln.bias', shape: [e] }, { name: 'classifier.weight', shape: [cfg.classes, e] }, { name: 'classifier.bias', shape: [cfg.classes] });
  return out;
}
