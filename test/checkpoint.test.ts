// ViT checkpoints from bytes and files: round trips, and hostile files refused fast, in one capped
// line, before their data is read. Every hostile file is made here.
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fromTypedArray, decodeCheckpoint, encodeCheckpoint, encodeSafetensors, inspectSafetensors, setBackend, vit, type VitConfigInput, type VitParams } from '../src/index.js';
import { loadModel, saveModel } from '../src/vit/checkpoint-file.js';
import { parameterReader } from '../src/nn/model-checkpoint.js';

setBackend('cpu');

const small = vit.config({ imageSize: 8, patchSize: 4, channels: 3, embedDim: 8, heads: 2, mlpDim: 6, layers: 2, classes: 5 });
const tmp = () => mkdtemp(path.join(os.tmpdir(), 'shaped-vit-ckpt-'));

async function flat<C extends VitConfigInput>(params: VitParams<C>): Promise<number[]> {
  const out: number[] = [];
  for (const [, t] of vit.stateDict(params)) out.push(...(await t.data()));
  return out;
}

/** A valid checkpoint's bytes with its stored config replaced. */
function withConfig(bytes: Uint8Array, config: Record<string, unknown>): Uint8Array {
  const header = inspectSafetensors(bytes, 'x');
  const entries = [...header.tensors].map(([name, t]) => ({ name, shape: t.shape, data: new Float32Array(bytes.slice(header.dataStart + t.begin, header.dataStart + t.end).buffer) }));
  return encodeSafetensors(entries, { ...header.metadata, config: JSON.stringify(config) });
}

test('bytes round trip: encodeCheckpoint -> decodeCheckpoint restores config, weights and metadata', async (t) => {
  const params = vit.init(small, { seed: 4 });
  const bytes = await encodeCheckpoint(small, params, { note: 'hi' });
  const back = decodeCheckpoint(bytes);
  t.is(back.cfg.layers, 2);
  t.is(back.cfg.embedDim, 8);
  t.is(back.metadata.note, 'hi');
  t.deepEqual(await flat(back.params), await flat(params));
});

test("pool 'mean' is stored and restored; a config that reads the sequence otherwise is refused by name", async (t) => {
  const meanPool = vit.config({ ...small, pool: 'mean' });
  const params = vit.init(meanPool, { seed: 4 });
  const bytes = await encodeCheckpoint(meanPool, params);
  t.is(decodeCheckpoint(bytes).cfg.pool, 'mean');
  t.is(decodeCheckpoint(bytes, { expected: meanPool }).cfg.pool, 'mean');
  t.throws(() => decodeCheckpoint(bytes, { fileName: 'm.safetensors', expected: small }), {
    message: "m.safetensors: the file's model classifies the mean of all tokens, the given config the class token (pool 'token')",
  });
  // the class token's checkpoints store no pool, as before it existed
  const plain = await encodeCheckpoint(small, vit.init(small, { seed: 4 }));
  t.is(JSON.parse(inspectSafetensors(plain, 'x').metadata.config).pool, undefined);
  t.throws(() => decodeCheckpoint(withConfig(bytes, { ...vit.torchConfig(meanPool), pool: 'max' }), { fileName: 'evil.safetensors' }), {
    message: "evil.safetensors: pool must be 'token' or 'mean', got \"max\" (a string)",
  });
});

test('file round trip, and the file is exactly the bytes encodeCheckpoint makes', async (t) => {
  const dir = await tmp();
  const file = path.join(dir, 'm.safetensors');
  const params = vit.init(small, { seed: 5 });
  await saveModel(file, small, params, { epoch: '3' });
  const back = await loadModel(file);
  t.deepEqual(await flat(back.params), await flat(params));
  t.is(back.metadata.epoch, '3');
  t.deepEqual(new Uint8Array(await readFile(file)), await encodeCheckpoint(small, params, { epoch: '3' }));
});

test('a given config decides the model: its own checkpoint loads with its shapes, another config is refused in one line', async (t) => {
  const params = vit.init(small, { seed: 6 });
  const bytes = await encodeCheckpoint(small, params);
  const back = decodeCheckpoint(bytes, { expected: small });
  t.deepEqual(await flat(back.params), await flat(params));
  t.deepEqual([back.params.posEmbedding.shape, back.params.classifier.weight.shape], [[1, 5, 8], [5, 8]]);
  const dir = await tmp();
  const file = path.join(dir, 'm.safetensors');
  await saveModel(file, small, params);
  t.deepEqual(await flat((await loadModel(file, small)).params), await flat(params));
  const wider = vit.config({ imageSize: 8, patchSize: 4, channels: 3, embedDim: 12, heads: 2, mlpDim: 6, layers: 2, classes: 5 });
  const err = t.throws(() => decodeCheckpoint(bytes, { fileName: 'm.safetensors', expected: wider }));
  t.regex(err!.message, /^m\.safetensors: the model config \(.*dim 12.*\) needs \d+ bytes of weights, the file holds \d+$/);
  await t.throwsAsync(loadModel(file, wider), { message: /^.*m\.safetensors: the model config \(.*dim 12.*\) needs/ });
});

test('each parameter is read with its stored shape, the one its type states', (t) => {
  const tensors = new Map([['w', { shape: [3, 2], data: new Float32Array(6) }]]);
  const get = parameterReader([{ name: 'w', shape: [3, 2] }], tensors, 'x.safetensors');
  t.deepEqual(get('w', [3, 2]).shape, [3, 2]);
  // the same 6 values, asked for as [2, 3]: refused, not reinterpreted
  const err = t.throws(() => get('w', [2, 3]));
  t.regex(err!.message, /^x\.safetensors: .*tensor "w" has shape \[3, 2\], expected \[2, 3\]/);
  t.throws(() => parameterReader([{ name: 'v', shape: [1] }], tensors, 'x.safetensors'), { message: 'x.safetensors: missing tensor "v"' });
});

test('a stored config of a million (or 10^12) layers is refused at once, in a short line', async (t) => {
  const bytes = await encodeCheckpoint(small, vit.init(small, { seed: 1 }));
  const torch = vit.torchConfig(small);
  for (const layers of [1_000_000, 1e12]) {
    const err = t.throws(() => decodeCheckpoint(withConfig(bytes, { ...torch, num_layers: layers }), { fileName: 'evil.safetensors' }));
    t.regex(err!.message, /^evil\.safetensors: __metadata__\.config\.num_layers is \d+, above the limit 4096$/);
  }
  // within the limits but not what the file holds: one line, size first
  const err = t.throws(() => decodeCheckpoint(withConfig(bytes, { ...torch, num_layers: 4000 }), { fileName: 'evil.safetensors' }));
  t.regex(err!.message, /^evil\.safetensors: the model config \(.*4000 layers.*\) needs \d+ bytes of weights, the file holds \d+$/);
});

test('every bad field of a stored config is named at once', async (t) => {
  const bytes = await encodeCheckpoint(small, vit.init(small, { seed: 1 }));
  const torch = vit.torchConfig(small);
  const err = t.throws(() => decodeCheckpoint(withConfig(bytes, { ...torch, num_layers: 1e6, n_heads: '2', embed_dim: -1 }), { fileName: 'evil.safetensors' }));
  t.is(
    err!.message,
    'evil.safetensors: __metadata__.config.embed_dim must be a positive integer, got -1; __metadata__.config.n_heads must be a positive integer, got "2" (a string); __metadata__.config.num_layers is 1000000, above the limit 4096',
  );
});

test('mismatch lists are capped', async (t) => {
  const bytes = await encodeCheckpoint(small, vit.init(small, { seed: 1 }));
  const header = inspectSafetensors(bytes, 'x');
  // same byte count, every name wrong
  const entries = [...header.tensors].map(([name, t]) => ({ name: `x.${name}`, shape: t.shape, data: new Float32Array((t.end - t.begin) / 4) }));
  const err = t.throws(() => decodeCheckpoint(encodeSafetensors(entries, header.metadata), { fileName: 'renamed.safetensors' }));
  t.regex(err!.message, /^renamed\.safetensors: does not match the model \(\d+ problems\): .*; and \d+ more$/);
  t.true(err!.message.length < 1500, `${err!.message.length} characters`);
});

test('NaN or Infinity weights are refused on load and on save', async (t) => {
  const params = vit.init(small, { seed: 1 });
  const bytes = await encodeCheckpoint(small, params);
  const header = inspectSafetensors(bytes, 'x');
  const pos = header.tensors.get('ln.weight')!;
  new DataView(bytes.buffer).setFloat32(header.dataStart + pos.begin, NaN, true);
  const err = t.throws(() => decodeCheckpoint(bytes, { fileName: 'nan.safetensors' }));
  t.regex(err!.message, /^nan\.safetensors: weights are not finite \(NaN or Infinity\) in "ln\.weight" \(1 of 8 values\); refusing to use them$/);
  const dir = await tmp();
  const file = path.join(dir, 'nan.safetensors');
  await writeFile(file, bytes);
  await t.throwsAsync(loadModel(file), { message: /weights are not finite/ });
  const poisoned = { ...params, ln: { ...params.ln, weight: fromTypedArray(new Float32Array(8).fill(Infinity), [8]) } };
  const saved = path.join(dir, 'never.safetensors');
  await t.throwsAsync(saveModel(saved, small, poisoned), { message: /never\.safetensors: weights are not finite .*"ln\.weight" \(8 of 8 values\)/ });
  t.false(existsSync(saved));
});
