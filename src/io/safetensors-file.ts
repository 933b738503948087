// safetensors files in Node: writes are atomic; reads are bounded. A reader fetches the 8-byte
// length, then the header, validates it (and lets the caller check it against a model) and only
// then reads the data, tensor by tensor, straight into Float32Arrays: a hostile file costs at most
// its header before it is refused, and a file larger than 2 GiB reads like any other.
import { writeFileAtomic } from './atomic.js';
import { openBounded } from './read-bounded.js';
import {
  encodeSafetensors,
  headerLength,
  LITTLE_ENDIAN,
  float32FromLittleEndian,
  parseSafetensorsHeader,
  requireF32,
  SafetensorsError,
  type LoadedTensor,
  type SafetensorsContents,
  type SafetensorsHeader,
  type TensorEntry,
} from './safetensors.js';

/** Files above this are refused by size unless the caller allows more. */
export const DEFAULT_MAX_FILE_BYTES = 16 * 2 ** 30;

export interface LoadOptions {
  /** Largest file accepted (default 16 GiB). */
  readonly maxBytes?: number;
  /** Called with the validated header before any data is read; throw to refuse the file. */
  readonly check?: (header: SafetensorsHeader) => void;
  /** Read only these tensors (default all). */
  readonly only?: (name: string) => boolean;
}

/** Encodes, then writes atomically: a failure (bad input or I/O) leaves any existing file intact. */
export async function saveSafetensors(path: string, entries: readonly TensorEntry[], metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(entries, metadata));
}

/** An open file whose header is validated; tensors are read on demand, each exactly once. */
export interface SafetensorsReader {
  readonly header: SafetensorsHeader;
  /** The tensor's data (F32 only), read straight into a fresh Float32Array. */
  tensor(name: string): Promise<LoadedTensor>;
  close(): Promise<void>;
}

/** Opens `path` and validates its header, reading nothing else yet. */
export async function openSafetensors(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<SafetensorsReader> {
  const f = await openBounded(path, 'safetensors file', maxBytes);
  let header: SafetensorsHeader;
  try {
    header = await headerOf(f, path);
  } catch (e) {
    await f.close();
    throw e;
  }
  return {
    header,
    tensor: async (name) => {
      const t = header.tensors.get(name);
      if (!t) throw new SafetensorsError(`${path}: no tensor ${JSON.stringify(name)}`);
      if (t.dtype !== 'F32') throw new SafetensorsError(`${path}: tensor ${JSON.stringify(name)} is ${t.dtype}, only F32 is supported`);
      const at = header.dataStart + t.begin;
      if (!LITTLE_ENDIAN) return { shape: t.shape, data: float32FromLittleEndian(await f.read(at, t.end - t.begin)) };
      const data = new Float32Array((t.end - t.begin) / 4);
      await f.readInto(at, new Uint8Array(data.buffer));
      return { shape: t.shape, data };
    },
    close: () => f.close(),
  };
}

/** The validated header of a file, reading nothing else. */
export async function readSafetensorsHeader(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<SafetensorsHeader> {
  const file = await openSafetensors(path, maxBytes);
  await file.close();
  return file.header;
}

/** Reads an untrusted F32 file; `check` sees the header before any tensor data is read. */
export async function loadSafetensors(path: string, opts: LoadOptions = {}): Promise<SafetensorsContents> {
  const file = await openSafetensors(path, opts.maxBytes);
  try {
    requireF32(file.header, path);
    opts.check?.(file.header);
    const tensors = new Map<string, LoadedTensor>();
    for (const name of file.header.tensors.keys()) if (!opts.only || opts.only(name)) tensors.set(name, await file.tensor(name));
    return { tensors, metadata: file.header.metadata };
  } finally {
    await file.close();
  }
}

async function headerOf(f: { size: number; read(p: number, n: number): Promise<Uint8Array> }, path: string): Promise<SafetensorsHeader> {
  const first8 = f.size >= 8 ? await f.read(0, 8) : new Uint8Array(0);
  const n = headerLength(first8, f.size, path);
  return parseSafetensorsHeader(await f.read(8, n), f.size, path);
}
