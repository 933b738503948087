// safetensors as bytes (float32, little-endian), byte-compatible with Hugging Face's `safetensors`.
// Pure: works on Uint8Array only (no node: imports), so pages and Node share it; file reading and
// writing live in safetensors-file.ts.
//
// Layout: u64 LE header length N | N bytes of UTF-8 JSON | data section.
// The header maps tensor name -> {"dtype","shape","data_offsets":[begin,end]} (offsets relative to
// the data section), plus an optional "__metadata__" map of string -> string.
//
// Writer: mirrors the reference writer (safetensors/src/tensor.rs `prepare`): tensors sorted by
// dtype alignment then by name (all F32 here, so by name, compared as UTF-8 bytes like Rust's
// String ordering), compact JSON with "__metadata__" first and fields in the order dtype, shape,
// data_offsets, data packed back to back in that order, header padded with spaces to a multiple
// of 8 bytes so the data section is aligned. Metadata keys are sorted for determinism (Rust
// iterates a HashMap, i.e. in no fixed order).
//
// Reader: the file is untrusted. Sizes are checked before anything is allocated or decoded and
// every structural rule of the reference reader is enforced (header <= 100 MB, valid UTF-8 JSON
// object, byte length == product(shape) * dtype size, tensors tile the data section exactly: no
// overlap, no gap, nothing after the last tensor).

import { jsonTooDeep, MAX_JSON_DEPTH } from './json-depth.js';
import { isJsonObject } from './validation.js';

/** The reference implementation's limit on the header size. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Element sizes of every dtype the format defines (so foreign files get a precise message). */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export interface TensorEntry {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

export interface LoadedTensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsContents {
  tensors: Map<string, LoadedTensor>;
  metadata: Record<string, string>;
}

/** What the header says about one tensor (any dtype), after validation. */
export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Absolute offset of the data section in the file (8 + header length). */
  dataStart: number;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Serializes float32 tensors exactly as the Python `safetensors` library would. */
export function encodeSafetensors(entries: readonly TensorEntry[], metadata?: Record<string, string>): Uint8Array {
  const seen = new Set<string>();
  for (const e of entries) {
    const where = `encodeSafetensors: tensor ${JSON.stringify(e.name)}`;
    if (typeof e.name !== 'string' || e.name === '__metadata__') throw new Error(`${where}: invalid tensor name`);
    if (!isWellFormedUtf16(e.name)) throw new Error(`${where}: name is not valid Unicode`);
    if (seen.has(e.name)) throw new Error(`${where}: name appears twice`);
    seen.add(e.name);
    if (!(e.data instanceof Float32Array)) throw new Error(`${where}: data must be a Float32Array`);
    const n = elementCount(e.shape);
    if (n === null) throw new Error(`${where}: shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    if (n !== e.data.length) throw new Error(`${where}: shape [${e.shape.join(', ')}] needs ${n} values, data has ${e.data.length}`);
  }
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`encodeSafetensors: metadata value for ${JSON.stringify(k)} must be a string`);
      if (!isWellFormedUtf16(k) || !isWellFormedUtf16(v)) throw new Error(`encodeSafetensors: metadata ${JSON.stringify(k)} is not valid Unicode`);
    }
  }

  const sorted = [...entries].sort((a, b) => compareUtf8(a.name, b.name));
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareUtf8);
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  for (const e of sorted) {
    const bytes = e.data.length * 4;
    parts.push(`${JSON.stringify(e.name)}:{"dtype":"F32","shape":[${e.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`);
    offset += bytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = json.length + ((8 - (json.length % 8)) % 8);

  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const e of sorted) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), pos);
      pos += e.data.byteLength;
    } else {
      for (let i = 0; i < e.data.length; i++, pos += 4) view.setFloat32(pos, e.data[i], true);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Validates the header and layout of an untrusted file (any dtype) without decoding data. */
export function inspectSafetensors(bytes: Uint8Array, fileName: string): SafetensorsHeader {
  const headerLen = headerLength(bytes.subarray(0, 8), bytes.length, fileName);
  return parseSafetensorsHeader(bytes.subarray(8, 8 + headerLen), bytes.length, fileName);
}

/**
 * The header length from a file's first 8 bytes, checked against the file's total length (on the
 * 64-bit value, before anything is allocated), so a reader can fetch exactly the header next.
 */
export function headerLength(first8: Uint8Array, fileLength: number, fileName: string): number {
  if (fileLength < 8 || first8.length < 8) throw new SafetensorsError(`${fileName}: file is ${fileLength} bytes, too short for a safetensors file (needs at least 8)`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`${fileName}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  if (n > BigInt(fileLength - 8)) throw new SafetensorsError(`${fileName}: header length ${n} exceeds the ${fileLength - 8} bytes after the length field (file truncated?)`);
  return Number(n);
}

/**
 * Validates the JSON header (the `headerBytes` after the length field) of a file of `fileLength`
 * bytes: every entry, and that the tensors tile the data section exactly.
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, fileLength: number, fileName: string): SafetensorsHeader {
  function fail(msg: string): never {
    throw new SafetensorsError(`${fileName}: ${msg}`);
  }
  const dataStart = 8 + headerBytes.length;
  const dataLen = fileLength - dataStart;
  if (dataLen < 0) fail(`header runs past the end of the ${fileLength}-byte file`);

  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    fail('header is not valid UTF-8');
  }
  if (jsonTooDeep(text)) fail(`header JSON nests deeper than ${MAX_JSON_DEPTH} levels; refusing it`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    fail(`header is not valid JSON (${oneLine((err as Error).message)})`);
  }
  if (!isJsonObject(header)) fail('header is not a JSON object');
  const obj = header;

  let metadata: Record<string, string> = {};
  if (Object.hasOwn(obj, '__metadata__')) {
    const m = obj.__metadata__;
    if (!isJsonObject(m)) fail('"__metadata__" is not an object of strings');
    const pairs: [string, string][] = [];
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string') fail(`"__metadata__" value for ${JSON.stringify(k)} is not a string`);
      pairs.push([k, v]);
    }
    // fromEntries defines own properties, so a hostile "__proto__" key stays a plain key.
    metadata = Object.fromEntries(pairs);
  }

  const problems: string[] = [];
  const tensors = new Map<string, TensorInfo>();
  for (const [name, raw] of Object.entries(obj)) {
    if (name === '__metadata__') continue;
    const where = `tensor ${JSON.stringify(name)}`;
    if (!isJsonObject(raw)) {
      problems.push(`${where}: entry is not an object`);
      continue;
    }
    const { dtype, shape, data_offsets: offs } = raw;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      problems.push(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
      continue;
    }
    if (!isIndexList(shape)) {
      problems.push(`${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
      continue;
    }
    if (!isIndexPair(offs)) {
      problems.push(`${where}: data_offsets ${JSON.stringify(offs)} is not a pair of non-negative integers`);
      continue;
    }
    const [begin, end] = offs;
    const count = elementCount(shape);
    const want = count === null ? NaN : count * DTYPE_BYTES[dtype];
    if (begin > end) problems.push(`${where}: data_offsets [${begin}, ${end}] are reversed`);
    else if (!Number.isSafeInteger(want)) problems.push(`${where}: shape [${shape.join(', ')}] is too large`);
    else if (end - begin !== want) problems.push(`${where}: holds ${end - begin} bytes but shape [${shape.join(', ')}] ${dtype} needs ${want}`);
    else if (end > dataLen) problems.push(`${where}: data_offsets [${begin}, ${end}] run past the ${dataLen}-byte data section`);
    else tensors.set(name, { dtype, shape, begin, end });
  }
  if (problems.length > 0) fail(summarize(problems));

  // The tensors must tile the data section: sorted by offsets, each starts where the previous ended.
  const byOffset = [...tensors].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prevName = '';
  for (const [name, t] of byOffset) {
    if (t.begin < cursor) fail(`tensor ${JSON.stringify(name)} (bytes ${t.begin}..${t.end}) overlaps tensor ${JSON.stringify(prevName)} (ends at ${cursor})`);
    if (t.begin > cursor) fail(`bytes ${cursor}..${t.begin} of the data section belong to no tensor (gap before ${JSON.stringify(name)})`);
    cursor = t.end;
    prevName = name;
  }
  if (cursor !== dataLen) fail(`the last ${dataLen - cursor} bytes of the data section belong to no tensor`);
  return { tensors, metadata, dataStart };
}

/** Decodes an untrusted file; every tensor must be F32 (all offenders are named in one error). */
export function decodeSafetensors(bytes: Uint8Array, fileName: string): SafetensorsContents {
  const header = inspectSafetensors(bytes, fileName);
  requireF32(header, fileName);
  const tensors = new Map<string, LoadedTensor>();
  for (const [name, t] of header.tensors) {
    tensors.set(name, { shape: t.shape, data: float32FromLittleEndian(bytes.subarray(header.dataStart + t.begin, header.dataStart + t.end)) });
  }
  return { tensors, metadata: header.metadata };
}

/** Throws unless every tensor is F32, naming the others. */
export function requireF32(header: SafetensorsHeader, fileName: string): void {
  const foreign = [...header.tensors].filter(([, t]) => t.dtype !== 'F32');
  if (foreign.length > 0) {
    const list = foreign.map(([name, t]) => `${JSON.stringify(name)} is ${t.dtype}`);
    throw new SafetensorsError(`${fileName}: only F32 tensors are supported (re-save as float32): ${summarize(list)}`);
  }
}

/**
 * Little-endian float32 bytes as a fresh, 4-byte-aligned Float32Array owned by the caller (never a
 * view: on a Node Buffer that would pin the whole, possibly shared, allocation).
 */
export function float32FromLittleEndian(bytes: Uint8Array): Float32Array {
  const count = bytes.length / 4;
  if (LITTLE_ENDIAN) {
    const copy = new Uint8Array(count * 4);
    copy.set(bytes);
    return new Float32Array(copy.buffer);
  }
  const data = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
  return data;
}

/** Whether Float32Array memory is little-endian (the file's byte order) on this machine. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Matching a file against a model

export interface ExpectedTensor {
  name: string;
  shape: readonly number[];
}

/**
 * Lists every way `found` differs from `expected`: missing and unexpected names, shape
 * mismatches, and non-F32 dtypes (when `found` carries dtypes, e.g. from inspectSafetensors).
 * Empty means the file fits. Join with tensorMismatchError for a single error.
 */
export function checkTensors(
  found: ReadonlyMap<string, { shape: readonly number[]; dtype?: string }>,
  expected: readonly ExpectedTensor[],
): string[] {
  const problems: string[] = [];
  const wanted = new Set<string>();
  for (const e of expected) {
    wanted.add(e.name);
    const f = found.get(e.name);
    if (!f) {
      problems.push(`missing tensor ${JSON.stringify(e.name)} [${e.shape.join(', ')}]`);
      continue;
    }
    if (f.dtype !== undefined && f.dtype !== 'F32') problems.push(`tensor ${JSON.stringify(e.name)} has dtype ${f.dtype}, expected F32`);
    if (f.shape.length !== e.shape.length || f.shape.some((d, i) => d !== e.shape[i])) {
      problems.push(`tensor ${JSON.stringify(e.name)} has shape [${f.shape.join(', ')}], expected [${e.shape.join(', ')}]`);
    }
  }
  for (const name of found.keys()) if (!wanted.has(name)) problems.push(`unexpected tensor ${JSON.stringify(name)}`);
  return problems;
}

/** One error (one line) listing all of checkTensors' findings. */
export function tensorMismatchError(fileName: string, problems: readonly string[]): SafetensorsError {
  const n = problems.length;
  return new SafetensorsError(`${fileName}: does not match the model (${n} problem${n === 1 ? '' : 's'}): ${summarize(problems)}`);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function isIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** A header's `shape`: a JSON list of non-negative safe integers. */
function isIndexList(x: unknown): x is number[] {
  return Array.isArray(x) && x.every(isIndex);
}

/** A header's `data_offsets`: exactly two non-negative safe integers. */
function isIndexPair(x: unknown): x is [number, number] {
  return isIndexList(x) && x.length === 2;
}

/** Product of the dims, or null if a dim is not a non-negative safe integer or the product overflows. */
function elementCount(shape: readonly unknown[]): number | null {
  let n = 1;
  for (const d of shape) {
    if (!isIndex(d)) return null;
    n *= d;
    if (!Number.isSafeInteger(n)) return null;
  }
  return n;
}

// Rust orders Strings by their UTF-8 bytes; JS's default sort uses UTF-16 code units, which
// disagrees for characters above U+FFFF.
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

const utf8 = new TextEncoder();

function isWellFormedUtf16(s: string): boolean {
  return !/\p{Surrogate}/u.test(s);
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

/** At most `max` items joined into one line, then "and N more": messages stay short for hostile input. */
export function summarize(items: readonly string[], max = 8): string {
  const shown = items.slice(0, max).map(oneLine).join('; ');
  return items.length > max ? `${shown}; and ${items.length - max} more` : shown;
}
