import { sharedDir } from './support/cifar-fixture.js';
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkTensors,
  decodeSafetensors,
  encodeSafetensors,
  inspectSafetensors,
  SafetensorsError,
  tensorMismatchError,
} from '../src/io/safetensors.js';
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors-file.js';

const ascii = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Hand-assembles a file: u64 LE length | header bytes | data bytes. */
function craft(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Uint8Array {
  const h = typeof header === 'string' ? ascii(header) : header;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const f32le = (...xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'shaped-vit-st-'));
}

/** Runs fn, expecting a one-line SafetensorsError naming the file; returns the message. */
function decodeError(t: { fail(msg: string): void }, bytes: Uint8Array): string {
  try {
    decodeSafetensors(bytes, 'bad.safetensors');
  } catch (err) {
    if (!(err instanceof SafetensorsError)) {
      t.fail(`expected a SafetensorsError, got ${String(err)}`);
      return '';
    }
    if (!err.message.startsWith('bad.safetensors: ')) t.fail(`message does not name the file: ${err.message}`);
    if (err.message.includes('\n')) t.fail(`message is not one line: ${err.message}`);
    return err.message;
  }
  t.fail('decodeSafetensors accepted a corrupt file');
  return '';
}

// ---------------------------------------------------------------------------------------------
// Bit-exact output. Derivation (what Python's `safetensors.numpy.save_file` writes, following
// safetensors/src/tensor.rs `prepare`/`serialize`): compact serde_json of the header map with
// "__metadata__" first, then tensors sorted by name, fields dtype/shape/data_offsets; pad with
// b' ' to a multiple of 8; u64 LE length; raw little-endian data. These three byte strings are
// also the expected outputs of the reference library's own unit tests (test_serialization,
// test_serialization_forced_alignement, test_empty), which they match byte for byte.

test('bit-exact: one tensor whose header needs 7 bytes of padding', (t) => {
  const out = encodeSafetensors([{ name: 'attn0', shape: [1, 1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }]);
  const json = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
  t.is(json.length, 65); // 65 % 8 = 1, so 7 spaces bring the header to 72
  const expected = new Uint8Array([
    72, 0, 0, 0, 0, 0, 0, 0,
    ...ascii(json), 32, 32, 32, 32, 32, 32, 32,
    0, 0, 0, 0, /* 0.0 */ 0, 0, 0x80, 0x3f, /* 1.0 */ 0, 0, 0, 0x40, /* 2.0 */
    0, 0, 0x40, 0x40, /* 3.0 */ 0, 0, 0x80, 0x40, /* 4.0 */ 0, 0, 0xa0, 0x40, /* 5.0 */
  ]);
  t.is(hex(out), hex(expected));
});

test('bit-exact: a header that is already a multiple of 8 gets no padding', (t) => {
  const out = encodeSafetensors([{ name: 'attn.0', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }]);
  const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  t.is(json.length, 64);
  t.is(hex(out), hex(new Uint8Array([64, 0, 0, 0, 0, 0, 0, 0, ...ascii(json), ...f32le(0, 1, 2, 3, 4, 5)])));
});

test('bit-exact: empty file, with and without metadata', (t) => {
  t.is(hex(encodeSafetensors([])), hex(new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, ...ascii('{}      ')])));
  const json = '{"__metadata__":{"framework":"pt"}}'; // 35 bytes + 5 spaces = 40
  t.is(hex(encodeSafetensors([], { framework: 'pt' })), hex(new Uint8Array([40, 0, 0, 0, 0, 0, 0, 0, ...ascii(json), 32, 32, 32, 32, 32])));
});

test('tensors are laid out sorted by UTF-8 bytes of the name, metadata first with sorted keys', (t) => {
  const out = encodeSafetensors(
    [
      { name: 'b', shape: [1], data: new Float32Array([2]) },
      { name: 'a', shape: [2], data: new Float32Array([0, 1]) },
      { name: 'B', shape: [], data: new Float32Array([3]) },
    ],
    { z: '1', a: 'x"y' },
  );
  const n = Number(new DataView(out.buffer).getBigUint64(0, true));
  const header = new TextDecoder().decode(out.subarray(8, 8 + n)).trimEnd();
  t.is(
    header,
    '{"__metadata__":{"a":"x\\"y","z":"1"},' +
      '"B":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
      '"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},' +
      '"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}',
  );
  t.is(n % 8, 0);
  t.is(hex(out.subarray(8 + n)), hex(f32le(3, 0, 1, 2)));
});

// ---------------------------------------------------------------------------------------------
// Round trip

test('round trip keeps names, shapes, metadata and every float bit', (t) => {
  const special = new Float32Array([-0, Infinity, -Infinity, 1.401298464324817e-45, 3.4028234663852886e38, Math.fround(0.1)]);
  const bits = new Uint32Array([0x7fc00001]); // a NaN with a payload
  const nan = new Float32Array(bits.buffer);
  const entries = [
    { name: 'pos_embed', shape: [1, 2, 3], data: special },
    { name: 'nan', shape: [1], data: nan },
    { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
    { name: 'scalar', shape: [], data: new Float32Array([42]) },
    { name: 'ünïcødé.weight', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
  ];
  const out = decodeSafetensors(encodeSafetensors(entries, { epoch: '7', format: 'pt' }), 'rt.safetensors');
  t.deepEqual(out.metadata, { epoch: '7', format: 'pt' });
  t.deepEqual([...out.tensors.keys()].sort(), entries.map((e) => e.name).sort());
  for (const e of entries) {
    const got = out.tensors.get(e.name)!;
    t.deepEqual(got.shape, e.shape);
    t.is(hex(new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength)), hex(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength)), e.name);
  }
});

test('decoded tensors own aligned copies, even from a pooled, misaligned Node Buffer', (t) => {
  const encoded = encodeSafetensors([{ name: 'w', shape: [2], data: new Float32Array([1, 2]) }]);
  // Buffer.concat allocates from Node's shared pool; the 3-byte shift misaligns the floats.
  const bytes = Buffer.concat([Buffer.alloc(3), Buffer.from(encoded)]).subarray(3);
  const w = decodeSafetensors(bytes, 'x').tensors.get('w')!;
  t.is(w.data.byteOffset, 0);
  t.is(w.data.buffer.byteLength, 8);
  bytes.fill(0);
  t.deepEqual([...w.data], [1, 2]);
});

test('encode rejects bad input', (t) => {
  const bad: [string, Parameters<typeof encodeSafetensors>[0], RegExp][] = [
    ['length', [{ name: 'w', shape: [2, 2], data: new Float32Array(3) }], /needs 4 values, data has 3/],
    ['dim', [{ name: 'w', shape: [-1], data: new Float32Array(0) }], /not a list of non-negative integers/],
    ['duplicate', [{ name: 'w', shape: [], data: new Float32Array(1) }, { name: 'w', shape: [], data: new Float32Array(1) }], /appears twice/],
    ['reserved', [{ name: '__metadata__', shape: [], data: new Float32Array(1) }], /invalid tensor name/],
    ['surrogate', [{ name: 'a\ud800', shape: [], data: new Float32Array(1) }], /not valid Unicode/],
  ];
  for (const [what, entries, re] of bad) t.throws(() => encodeSafetensors(entries), { message: re }, what);
  t.throws(() => encodeSafetensors([], { k: 1 as unknown as string }), { message: /must be a string/ });
});

// ---------------------------------------------------------------------------------------------
// Untrusted input

test('rejects a file shorter than the length field', (t) => {
  t.regex(decodeError(t, new Uint8Array(0)), /0 bytes, too short/);
  t.regex(decodeError(t, new Uint8Array(7)), /7 bytes, too short/);
});

test('rejects a huge or truncated header length before decoding anything', (t) => {
  // 2^64-1 and 100 MB + 1 both exceed the limit even though the file is tiny.
  t.regex(decodeError(t, craft('{}', undefined, 0xffffffffffffffffn)), /header length 18446744073709551615 exceeds the 100000000-byte limit/);
  t.regex(decodeError(t, craft('{}', undefined, 100_000_001n)), /exceeds the 100000000-byte limit/);
  // Within the limit but past the end of the file: a truncated download.
  t.regex(decodeError(t, craft('{}', undefined, 64n)), /header length 64 exceeds the 2 bytes after the length field/);
  const good = encodeSafetensors([{ name: 'w', shape: [4], data: new Float32Array(4) }]);
  t.regex(decodeError(t, good.subarray(0, 20)), /exceeds the 12 bytes after the length field/);
});

test('rejects a file cut inside the data section', (t) => {
  const good = encodeSafetensors([{ name: 'w', shape: [4], data: new Float32Array([1, 2, 3, 4]) }]);
  t.regex(decodeError(t, good.subarray(0, good.length - 3)), /tensor "w": data_offsets \[0, 16\] run past the 13-byte data section/);
});

test('rejects headers that are not UTF-8 JSON objects', (t) => {
  t.regex(decodeError(t, craft(new Uint8Array([0x7b, 0xff, 0x7d]))), /not valid UTF-8/);
  t.regex(decodeError(t, craft('{"w": {"dtype": "F32",')), /not valid JSON \(/);
  t.regex(decodeError(t, craft('[1, 2]  ')), /not a JSON object/);
  t.regex(decodeError(t, craft('null    ')), /not a JSON object/);
  t.regex(decodeError(t, craft('{"__metadata__":{"a":1}}')), /"__metadata__" value for "a" is not a string/);
  t.regex(decodeError(t, craft('{"__metadata__":[]}')), /"__metadata__" is not an object/);
});

test('a JSON error message with newlines still yields a one-line error', (t) => {
  // V8 quotes the offending input in JSON.parse errors; here that input contains newlines.
  const msg = decodeError(t, craft('{\n"a":\n\n}'));
  t.regex(msg, /not valid JSON/);
});

test('rejects malformed tensor entries, naming each one', (t) => {
  const cases: [string, RegExp][] = [
    ['{"w":[]}', /tensor "w": entry is not an object/],
    ['{"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}', /tensor "w": unknown dtype "F33"/],
    ['{"w":{"shape":[1],"data_offsets":[0,4]}}', /tensor "w": unknown dtype undefined/],
    ['{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', /shape \[-1\] is not a list of non-negative integers/],
    ['{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', /shape \[1.5\] is not a list/],
    ['{"w":{"dtype":"F32","shape":"4","data_offsets":[0,4]}}', /shape "4" is not a list/],
    ['{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', /data_offsets \[0\] is not a pair/],
    ['{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}', /data_offsets \[0,"4"\] is not a pair/],
    // Fields of the wrong JSON type, and a pair with a third number (its first two would fit).
    ['{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', /tensor "w": unknown dtype 4/],
    ['{"w":{"dtype":"F32","shape":{"0":1},"data_offsets":[0,4]}}', /shape \{"0":1\} is not a list/],
    ['{"w":{"dtype":"F32","shape":[1],"data_offsets":"0,4"}}', /data_offsets "0,4" is not a pair/],
    ['{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', /data_offsets \[0,4,8\] is not a pair/],
    ['{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', /data_offsets \[4, 0\] are reversed/],
    ['{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,4]}}', /holds 4 bytes but shape \[3\] F32 needs 12/],
    ['{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}', /shape \[4294967296, 4294967296\] is too large/],
  ];
  for (const [header, re] of cases) t.regex(decodeError(t, craft(header, new Uint8Array(4))), re, header);
});

test('all entry problems are reported in one line', (t) => {
  const msg = decodeError(t, craft('{"a":{"dtype":"X","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', new Uint8Array(4)));
  t.regex(msg, /tensor "a": unknown dtype "X"; tensor "b": holds 4 bytes but/);
});

test('rejects offsets out of range', (t) => {
  t.regex(decodeError(t, craft('{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', new Uint8Array(12))), /run past the 12-byte data section/);
});

test('rejects overlapping tensors', (t) => {
  const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
  t.regex(decodeError(t, craft(header, new Uint8Array(12))), /tensor "b" \(bytes 4..12\) overlaps tensor "a" \(ends at 8\)/);
  // Two names aliasing the same bytes.
  const alias = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  t.regex(decodeError(t, craft(alias, new Uint8Array(8))), /overlaps/);
});

test('rejects gaps and trailing bytes (the data section must be fully covered)', (t) => {
  const gap = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}';
  t.regex(decodeError(t, craft(gap, new Uint8Array(16))), /bytes 8..12 of the data section belong to no tensor \(gap before "b"\)/);
  const lead = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
  t.regex(decodeError(t, craft(lead, new Uint8Array(8))), /bytes 0..4 of the data section belong to no tensor/);
  const tail = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
  t.regex(decodeError(t, craft(tail, new Uint8Array(12))), /the last 8 bytes of the data section belong to no tensor/);
});

test('zero-size tensors may share an offset', (t) => {
  const header = '{"e1":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e2":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]}}';
  const out = decodeSafetensors(craft(header, f32le(7)), 'z');
  t.deepEqual([...out.tensors.get('w')!.data], [7]);
  t.is(out.tensors.get('e2')!.data.length, 0);
});

test('a non-F32 file is reported with its dtypes; inspect still reads its layout', (t) => {
  const header = '{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"c":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
  const bytes = craft(header, new Uint8Array(12));
  t.regex(decodeError(t, bytes), /only F32 tensors are supported \(re-save as float32\): "a" is F16; "b" is BF16$/);
  const info = inspectSafetensors(bytes, 'half.safetensors');
  t.deepEqual(info.tensors.get('a'), { dtype: 'F16', shape: [2], begin: 0, end: 4 });
  t.is(info.dataStart, 8 + header.length);
});

test('a "__proto__" metadata key stays a plain key', (t) => {
  const out = decodeSafetensors(craft('{"__metadata__":{"__proto__":"x"}}'), 'p');
  t.is(Object.getPrototypeOf(out.metadata), Object.prototype);
  t.is(Object.getOwnPropertyDescriptor(out.metadata, '__proto__')?.value, 'x');
});

// ---------------------------------------------------------------------------------------------
// checkTensors

test('checkTensors lists every mismatch, ready for one error', (t) => {
  const header = '{"blocks.0.w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]},"extra":{"dtype":"F32","shape":[1],"data_offsets":[24,28]},"head.w":{"dtype":"F16","shape":[2],"data_offsets":[28,32]}}';
  const info = inspectSafetensors(craft(header, new Uint8Array(32)), 'ckpt.safetensors');
  const problems = checkTensors(info.tensors, [
    { name: 'blocks.0.w', shape: [2, 3] },
    { name: 'head.w', shape: [2] },
    { name: 'pos_embed', shape: [1, 17, 384] },
  ]);
  t.deepEqual(problems, [
    'tensor "blocks.0.w" has shape [3, 2], expected [2, 3]',
    'tensor "head.w" has dtype F16, expected F32',
    'missing tensor "pos_embed" [1, 17, 384]',
    'unexpected tensor "extra"',
  ]);
  const err = tensorMismatchError('ckpt.safetensors', problems);
  t.is(err.message, `ckpt.safetensors: does not match the model (4 problems): ${problems.join('; ')}`);
  t.false(err.message.includes('\n'));
});

test('checkTensors accepts a matching file (decoded tensors carry no dtype)', (t) => {
  const found = decodeSafetensors(encodeSafetensors([{ name: 'w', shape: [2, 1], data: new Float32Array(2) }]), 'ok').tensors;
  t.deepEqual(checkTensors(found, [{ name: 'w', shape: [2, 1] }]), []);
  t.deepEqual(checkTensors(found, [{ name: 'w', shape: [2] }]), ['tensor "w" has shape [2, 1], expected [2]']);
});

// ---------------------------------------------------------------------------------------------
// Files

test('save/load through the file system', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'model.safetensors');
  await saveSafetensors(path, [{ name: 'w', shape: [3], data: new Float32Array([1, 2, 3]) }], { step: '1' });
  const out = await loadSafetensors(path);
  t.deepEqual([...out.tensors.get('w')!.data], [1, 2, 3]);
  t.deepEqual(out.metadata, { step: '1' });
  t.deepEqual(await readdir(dir), ['model.safetensors']);
  await writeFile(path, new Uint8Array(5));
  await t.throwsAsync(loadSafetensors(path), { instanceOf: SafetensorsError, message: `${path}: file is 5 bytes, too short for a safetensors file (needs at least 8)` });
});

test('a failed save leaves the existing file intact and no temp file behind', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'model.safetensors');
  await saveSafetensors(path, [{ name: 'w', shape: [2], data: new Float32Array([1, 2]) }]);
  const before = await readFile(path);

  // Invalid input: fails while encoding.
  await t.throwsAsync(saveSafetensors(path, [{ name: 'w', shape: [3], data: new Float32Array([9, 9]) }]), { message: /needs 3 values/ });
  t.deepEqual(await readFile(path), before);

  // I/O failure at the last moment: the rename target is a non-empty directory.
  const blocked = join(dir, 'blocked.safetensors');
  await mkdir(blocked);
  await writeFile(join(blocked, 'keep'), 'x');
  await t.throwsAsync(saveSafetensors(blocked, [{ name: 'w', shape: [1], data: new Float32Array([5]) }]));
  t.deepEqual((await readdir(dir)).sort(), ['blocked.safetensors', 'model.safetensors']);
  t.deepEqual(await readdir(blocked), ['keep']);
  t.deepEqual(await readFile(path), before);

  // And a successful save does replace it.
  await saveSafetensors(path, [{ name: 'w', shape: [1], data: new Float32Array([5]) }]);
  t.deepEqual([...(await loadSafetensors(path)).tensors.get('w')!.data], [5]);
});

// ---------------------------------------------------------------------------------------------
// The peer implementation in the shared bench (CommonJS) must read our files, and vice versa.

const here = dirname(fileURLToPath(import.meta.url)); // build/test
const peerPath = resolve(sharedDir(), 'bench', 'tfjs-vit', 'lib', 'safetensors.js');
const peerTest = existsSync(peerPath) ? test : test.skip;

peerTest('the shared tfjs-vit reader accepts our files; its writer agrees byte for byte', async (t) => {
  const peer = createRequire(import.meta.url)(peerPath) as {
    readSafetensors(file: string): { tensors: Record<string, { dtype: string; shape: number[]; data: Float32Array }>; metadata: Record<string, string> | null };
    writeSafetensors(file: string, tensors: Record<string, { shape: number[]; data: Float32Array }>, metadata?: Record<string, string> | null): void;
  };
  const dir = await tempDir();
  const ours = join(dir, 'ours.safetensors');
  const entries = [
    { name: 'patch_embed.weight', shape: [4, 3], data: new Float32Array(12).map((_, i) => i * 0.5 - 1) },
    { name: 'cls_token', shape: [1, 1, 4], data: new Float32Array([1, -2, 3, -4]) },
    { name: 'head.bias', shape: [2], data: new Float32Array([0.25, -0]) },
  ];
  await saveSafetensors(ours, entries, { format: 'pt' });
  const read = peer.readSafetensors(ours);
  t.deepEqual(read.metadata, { format: 'pt' });
  t.deepEqual(Object.keys(read.tensors).sort(), entries.map((e) => e.name).sort());
  for (const e of entries) {
    t.is(read.tensors[e.name].dtype, 'F32');
    t.deepEqual(read.tensors[e.name].shape, e.shape);
    t.deepEqual([...read.tensors[e.name].data], [...e.data]);
  }

  const theirs = join(dir, 'theirs.safetensors');
  peer.writeSafetensors(theirs, Object.fromEntries(entries.map((e) => [e.name, { shape: e.shape, data: e.data }])), { format: 'pt' });
  t.is(hex(await readFile(theirs)), hex(await readFile(ours)));
});
