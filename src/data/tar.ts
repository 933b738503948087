// Minimal streaming .tar.gz extractor (node:zlib + our own tar reader), enough
// for dataset archives: ustar/GNU/pax headers, regular files and folders.
// Anything that could write outside the target folder is refused: absolute
// paths, ".." components, backslashes, symlinks, hard links, devices, FIFOs.
// Sizes are bounded from the headers, before a byte is written: each member,
// the total, and the number of entries (a small archive cannot fill a disk).

import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;
/** Upper bound for in-memory metadata entries (GNU long names, pax headers). */
const MAX_META_BYTES = 1 << 20;

/** What an archive may write; a member over a limit is refused from its header. */
export interface ExtractLimits {
  readonly maxEntryBytes: number;
  readonly maxTotalBytes: number;
  readonly maxEntries: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = { maxEntryBytes: 2 ** 30, maxTotalBytes: 4 * 2 ** 30, maxEntries: 100_000 };

/** An archive entry that would escape the target folder or is not a plain file/folder. */
export class TarSafetyError extends Error {
  override name = 'TarSafetyError';
}

function cString(b: Uint8Array, start: number, len: number): string {
  let end = start;
  while (end < start + len && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8');
}

/** Octal numeric field, or GNU base-256 when the top bit of the first byte is set. */
function numeric(b: Uint8Array, start: number, len: number): number {
  if (b[start] & 0x80) {
    let v = b[start] & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i];
    return v;
  }
  const s = cString(b, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error(`bad octal field ${shown(s)}`);
  return parseInt(s, 8);
}

function checksumOk(h: Uint8Array): boolean {
  let stored: number;
  try {
    stored = numeric(h, 148, 8);
  } catch {
    return false;
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : h[i];
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return stored === unsigned || stored === signed;
}

/** Parses pax extended header records "LEN key=value\n". */
function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = parseInt(data.subarray(pos, sp).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > data.length) throw new Error('bad pax header record');
    const rec = data.subarray(sp + 1, pos + len - 1).toString('utf8'); // drop the trailing \n
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link', '2': 'a symbolic link', '3': 'a character device', '4': 'a block device', '6': 'a FIFO',
  'S': 'a GNU sparse file', 'V': 'a volume header', 'M': 'a multi-volume continuation', 'D': 'a GNU dump directory',
};

/**
 * Resolves an entry name to a path strictly inside `root`, or throws
 * TarSafetyError. Returns null for names that denote the root itself ("./").
 */
/**
 * A name from an archive as it is printed: quoted, cut to 200 characters, control characters
 * escaped (an archive must not reach the terminal with escape sequences).
 */
export function shown(name: string): string {
  return JSON.stringify(name.slice(0, 200)).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function safeEntryPath(root: string, name: string): string | null {
  if (name.includes('\0')) throw new TarSafetyError(`archive entry ${shown(name)} has a NUL byte in its name`);
  if (name.includes('\\')) throw new TarSafetyError(`archive entry ${shown(name)} has a backslash in its name; refusing`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new TarSafetyError(`archive entry ${shown(name)} has an absolute path; refusing to extract outside ${root}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new TarSafetyError(`archive entry ${shown(name)} has a ".." component; refusing to extract outside ${root}`);
  if (parts.length === 0) return null;
  const full = path.resolve(root, ...parts);
  const rel = path.relative(root, full);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw new TarSafetyError(`archive entry ${shown(name)} resolves outside ${root}`);
  return full;
}

type State =
  | { kind: 'header' }
  | { kind: 'file'; fh: FileHandle; remaining: number; pad: number }
  | { kind: 'meta'; type: string; remaining: number; pad: number; chunks: Buffer[] }
  | { kind: 'skip'; remaining: number }
  | { kind: 'end' };

/** Streaming tar reader that writes regular files and folders under `root`. */
class TarExtractor {
  private pending: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'header' };
  private offset = 0; // bytes of tar consumed, for error messages
  private longName: string | null = null;
  private pax: Map<string, string> | null = null;
  readonly files: string[] = [];
  private written = 0;
  private entries = 0;

  constructor(
    private readonly root: string,
    private readonly label: string,
    private readonly limits: ExtractLimits,
  ) {}

  async push(chunk: Buffer): Promise<void> {
    // padding and skipped entries are not written, but a gzip bomb of them still costs time
    if (this.offset > this.limits.maxTotalBytes + 64 * 2 ** 20) throw new TarSafetyError(`${this.label}: the archive inflates to more than ${this.limits.maxTotalBytes} bytes; refusing`);
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    let pos = 0;
    while (pos < data.length) {
      const st = this.state;
      if (st.kind === 'end') return; // trailing zero blocks / record padding
      if (st.kind === 'header') {
        if (data.length - pos < BLOCK) {
          this.pending = Buffer.from(data.subarray(pos));
          return;
        }
        await this.header(data.subarray(pos, pos + BLOCK));
        pos += BLOCK;
        this.offset += BLOCK;
        continue;
      }
      const take = Math.min(st.remaining, data.length - pos);
      const slice = data.subarray(pos, pos + take);
      if (st.kind === 'file') {
        for (let off = 0; off < slice.length; ) {
          const { bytesWritten } = await st.fh.write(slice, off, slice.length - off);
          if (bytesWritten <= 0) throw new Error(`${this.label}: could not write extracted data`);
          off += bytesWritten;
        }
      }
      else if (st.kind === 'meta') st.chunks.push(Buffer.from(slice));
      st.remaining -= take;
      pos += take;
      this.offset += take;
      if (st.remaining === 0) await this.finishEntry();
    }
  }

  async end(): Promise<void> {
    const st = this.state;
    if (st.kind === 'end') return;
    if (st.kind === 'header' && this.pending.length === 0) return; // no end marker: tolerated like GNU tar
    if (st.kind === 'file') await st.fh.close();
    throw new Error(`${this.label}: archive is truncated (ends inside an entry at byte ${this.offset} of the tar stream)`);
  }

  async abort(): Promise<void> {
    if (this.state.kind === 'file') await this.state.fh.close().catch(() => undefined);
  }

  private async finishEntry(): Promise<void> {
    const st = this.state;
    if (st.kind === 'file') {
      await st.fh.close();
      this.state = st.pad ? { kind: 'skip', remaining: st.pad } : { kind: 'header' };
    } else if (st.kind === 'meta') {
      const data = Buffer.concat(st.chunks);
      if (st.type === 'L') this.longName = cString(data, 0, data.length);
      else if (st.type === 'x') this.pax = parsePax(data);
      // 'K' (long link name) and 'g' (global pax) carry nothing we use.
      this.state = st.pad ? { kind: 'skip', remaining: st.pad } : { kind: 'header' };
    } else {
      this.state = { kind: 'header' };
    }
  }

  private async header(h: Buffer): Promise<void> {
    if (h.every((b) => b === 0)) {
      this.state = { kind: 'end' };
      return;
    }
    if (!checksumOk(h)) throw new Error(`${this.label}: not a tar archive or corrupt header at byte ${this.offset} of the tar stream`);
    const magic = cString(h, 257, 6);
    const type = h[156] === 0 ? '0' : String.fromCharCode(h[156]);
    let name = cString(h, 0, 100);
    if (magic === 'ustar' && h[263] === 0x30 /* POSIX "00"; GNU has "ustar  " */) {
      const prefix = cString(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    let size: number;
    try {
      size = numeric(h, 124, 12);
    } catch {
      throw new Error(`${this.label}: corrupt size field in the tar header at byte ${this.offset}`);
    }
    if (this.longName !== null) name = this.longName;
    if (this.pax) {
      const p = this.pax.get('path');
      if (p !== undefined) name = p;
      const s = this.pax.get('size');
      if (s !== undefined && /^\d+$/.test(s)) size = Number(s);
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
      if (size > MAX_META_BYTES) throw new Error(`${this.label}: metadata entry of ${size} bytes is too large`);
      this.state = size ? { kind: 'meta', type, remaining: size, pad, chunks: [] } : { kind: 'header' };
      if (!size) await this.finishEntryEmptyMeta(type);
      return;
    }
    // A real entry consumes the pending long name / pax overrides.
    this.longName = null;
    this.pax = null;
    if (++this.entries > this.limits.maxEntries) throw new TarSafetyError(`${this.label}: more than ${this.limits.maxEntries} entries; refusing`);
    if (type === '0' || type === '7') {
      if (size > this.limits.maxEntryBytes) {
        throw new TarSafetyError(`${this.label}: archive entry ${shown(name)} is ${size} bytes, more than the ${this.limits.maxEntryBytes} allowed; refusing before writing it`);
      }
      this.written += size;
      if (this.written > this.limits.maxTotalBytes) {
        throw new TarSafetyError(`${this.label}: the archive's files add up to more than the ${this.limits.maxTotalBytes} bytes allowed; refusing`);
      }
      const dest = safeEntryPath(this.root, name);
      if (dest === null) throw new TarSafetyError(`${this.label}: file entry ${shown(name)} has no name`);
      await mkdir(path.dirname(dest), { recursive: true });
      const fh = await open(dest, 'w', 0o644);
      this.files.push(dest);
      if (size === 0) {
        await fh.close();
        this.state = { kind: 'header' };
      } else {
        this.state = { kind: 'file', fh, remaining: size, pad };
      }
      return;
    }
    if (type === '5') {
      const dest = safeEntryPath(this.root, name);
      if (dest !== null) await mkdir(dest, { recursive: true });
      this.state = size + pad ? { kind: 'skip', remaining: size + pad } : { kind: 'header' };
      return;
    }
    const what = TYPE_NAMES[type] ?? `of unsupported type ${shown(type)}`;
    const link = type === '1' || type === '2' ? ` (to ${shown(cString(h, 157, 100))})` : '';
    throw new TarSafetyError(`${this.label}: archive entry ${shown(name)} is ${what}${link}; refusing (only regular files and folders are extracted)`);
  }

  private async finishEntryEmptyMeta(type: string): Promise<void> {
    if (type === 'x') this.pax = new Map();
    if (type === 'L') this.longName = '';
  }
}

/**
 * Extracts a gzip-compressed tar archive into `targetDir` (created if needed).
 * Returns the files written. Callers wanting atomicity extract into a fresh
 * temporary folder and rename it into place.
 */
export async function extractTarGz(archivePath: string, targetDir: string, limits: ExtractLimits = DEFAULT_EXTRACT_LIMITS): Promise<string[]> {
  const root = path.resolve(targetDir);
  await mkdir(root, { recursive: true });
  const tar = new TarExtractor(root, archivePath, limits);
  const input = createReadStream(archivePath);
  const gunzip = createGunzip();
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) await tar.push(chunk);
    await tar.end();
  } catch (err) {
    await tar.abort();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR') {
      throw new Error(`${archivePath}: not a valid gzip file (${e.message})`);
    }
    throw err;
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  return tar.files;
}
