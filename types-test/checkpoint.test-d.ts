// Checkpoints keep a literal config's types: saveModel takes the parameters vit.init made for that
// config (no cast), refuses another config's, and loadModel / decodeCheckpoint with the config
// give back parameters with its literal dims, so the loaded model applies with typed shapes.
import { expectType } from 'tsd';
import { decodeCheckpoint, encodeCheckpoint, loadModel, matmul, saveModel, vit, zeros, type Tensor, type VitConfig, type VitParams } from 'shaped-vit';

const cfg = vit.config({ imageSize: 16, patchSize: 8, channels: 3, embedDim: 16, heads: 2, mlpDim: 32, layers: 1, classes: 10 });
const params = vit.init(cfg, { seed: 0 });
const otherCfg = vit.config({ imageSize: 16, patchSize: 8, channels: 3, embedDim: 32, heads: 2, mlpDim: 32, layers: 1, classes: 10 });
const other = vit.init(otherCfg, { seed: 0 });

export async function typed() {
  await saveModel('model.safetensors', cfg, params, { epoch: '1' });
  // @ts-expect-error another config's parameters (embedDim 32, not 16)
  await saveModel('model.safetensors', cfg, other);
  const back = await loadModel('model.safetensors', cfg);
  expectType<typeof params>(back.params);
  expectType<Tensor<[4, 10]>>(vit.apply(back.cfg, back.params, zeros([4, 3, 16, 16])));
  const bytes = await encodeCheckpoint(cfg, params);
  // @ts-expect-error another config's parameters
  await encodeCheckpoint(cfg, other);
  expectType<typeof params>(decodeCheckpoint(bytes, { expected: cfg }).params);
  // without a config, the file's own: the dims are only known at runtime
  expectType<VitParams>((await loadModel('model.safetensors')).params);
  expectType<VitConfig>(decodeCheckpoint(bytes).cfg);
  // @ts-expect-error a config's type without the config: nothing would check the file against it
  await loadModel<typeof cfg>('model.safetensors');
  // @ts-expect-error the same for bytes
  decodeCheckpoint<typeof cfg>(bytes);
}

// The loaded parameters' shapes come from the config: (16/8)² patches + the class token = 5 tokens,
// each of width 16, 10 classes; using one with a wrong shape does not compile.
export async function shapes() {
  const { params: p } = await loadModel('model.safetensors', cfg);
  expectType<Tensor<[1, 5, 16]>>(p.posEmbedding);
  expectType<Tensor<[10, 16]>>(p.classifier.weight);
  expectType<Tensor<[32, 16]>>(p.encoder[0].mlp.fc1.weight);
  expectType<Tensor<[4, 10]>>(matmul(zeros([4, 16]), p.classifier.weight, { transposeB: true }));
  // @ts-expect-error matmul inner dimensions differ: [4,10] x [10,16]^T (10 vs 16): the weight is [classes, embedDim]
  matmul(zeros([4, 10]), p.classifier.weight, { transposeB: true });
  const { params: q } = decodeCheckpoint(await encodeCheckpoint(cfg, params), { expected: cfg });
  expectType<Tensor<[48, 16]>>(q.encoder[0].selfAtten.inProjWeight);
  // @ts-expect-error parameters loaded for cfg (embedDim 16) do not fit otherCfg's model (embedDim 32)
  vit.apply(otherCfg, q, zeros([4, 3, 16, 16]));
}
