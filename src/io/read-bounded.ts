// Reading untrusted files without letting them choose the cost: open without blocking (a FIFO
// cannot hang us), fstat the open descriptor (no race with a swapped path), accept regular files
// only, check the size against the caller's cap, then read exactly the bytes asked for.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** A file we refuse to read, or could not: the message is one line naming the file. */
export class FileReadError extends Error {
  override name = 'FileReadError';
  constructor(
    message: string,
    /** the errno code when the system refused (e.g. ENOENT) */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** One read call stays below the 2 GiB limit of a single read(2) in Node. */
const CHUNK = 1 << 30;

/** Plain words for the errno codes users meet. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const words: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'is a folder',
    ENOTDIR: 'a parent is not a folder',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
    EEXIST: 'already exists',
    EMFILE: 'too many open files',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'name too long',
    EIO: 'input/output error',
  };
  if (code && words[code]) return `${words[code]} (${code})`;
  return code ?? (e instanceof Error ? e.message : String(e));
}

function kindOf(s: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface BoundedFile {
  readonly path: string;
  readonly size: number;
  /** Exactly `length` bytes at `position`; a short read (the file shrank) is an error. */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Fills `into` from `position` (for reading straight into a typed array's memory). */
  readInto(position: number, into: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens `path` for bounded reads: a regular file of at most `maxBytes` bytes, else a
 * FileReadError saying what it is (`what` names the role, e.g. "checkpoint").
 */
export async function openBounded(path: string, what: string, maxBytes: number): Promise<BoundedFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new FileReadError(`cannot read ${what} ${path}: ${describeFsError(e)}`, (e as NodeJS.ErrnoException).code);
  }
  let size: number;
  try {
    const st = await fh.stat();
    size = st.size;
    if (!st.isFile()) throw new FileReadError(`${what} ${path} is ${kindOf(st)}, not a regular file; refusing to read it`);
    if (st.size > maxBytes) throw new FileReadError(`${what} ${path} is ${st.size} bytes, more than the ${maxBytes} this format allows`);
  } catch (e) {
    await fh.close();
    if (e instanceof FileReadError) throw e;
    throw new FileReadError(`cannot read ${what} ${path}: ${describeFsError(e)}`);
  }
  const readInto = async (position: number, into: Uint8Array) => {
    if (position < 0 || position + into.length > size) throw new FileReadError(`${what} ${path}: read past the end of the ${size}-byte file`);
    for (let done = 0; done < into.length; ) {
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(into, done, Math.min(CHUNK, into.length - done), position + done));
      } catch (e) {
        throw new FileReadError(`cannot read ${what} ${path}: ${describeFsError(e)}`);
      }
      if (n === 0) throw new FileReadError(`${what} ${path} shrank while being read`);
      done += n;
    }
  };
  return {
    path,
    size,
    readInto,
    read: async (position, length) => {
      const out = new Uint8Array(length);
      await readInto(position, out);
      return out;
    },
    close: () => fh.close(),
  };
}

/** A whole regular file of at most `maxBytes` bytes. */
export async function readFileBounded(path: string, what: string, maxBytes: number): Promise<Uint8Array> {
  const f = await openBounded(path, what, maxBytes);
  try {
    return await f.read(0, f.size);
  } finally {
    await f.close();
  }
}
