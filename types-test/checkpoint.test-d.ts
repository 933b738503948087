// Checkpoints keep a literal config's types: saveModel takes the parameters vit.init made for that
// config (no cast), refuses another config's, and loadModel / decodeCheckpoint with the config
// give back parameters with its literal dims, so the loaded model applies with typed shapes.
import { expectType } from 'tsd';
import { decodeCheckpoint, encodeCheckpoint, loadModel, saveModel, vit, zeros, type Tensor, type VitConfig, type VitParams } from 'shaped-vit';

const cfg = vit.config({ imageSize: 16, patchSize: 8, channels: 3, embedDim: 16, heads: 2, mlpDim: 32, layers: 1, classes: 10 });
const params = vit.init(cfg, { seed: 0 });
const other = vit.init(vit.config({ imageSize: 16, patchSize: 8, channels: 3, embedDim: 32, heads: 2, mlpDim: 32, layers: 1, classes: 10 }), { seed: 0 });

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
}
