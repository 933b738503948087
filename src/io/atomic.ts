// Crash-safe file writes for checkpoints, plots and logs.
// A reader (or a resumed run) must never see a half-written file: we write a temp file in the
// same directory (rename is only atomic within one filesystem), fsync it, then rename it over the
// target. If anything fails, the temp file is removed and the old target is left untouched.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Hooks between the steps of a write, for crash tests (a hook may kill the process). */
export interface WriteHooks {
  /** the temp file is written and fsynced; the target is not replaced yet */
  readonly beforeRename?: () => void;
  /** appendLine: the first half of the line is written, the rest not yet */
  readonly midLine?: () => void;
}

/** Whether a file name is one of writeFileAtomic's temp files (a leftover once its writer is gone). */
export const isAtomicTemp = (name: string) => /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/.test(name);

/** Atomically replaces `path` with `data` (temp file + fsync + rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, hooks: WriteHooks = {}): Promise<void> {
  const dir = dirname(path);
  // Hidden, unique name: concurrent writers never share a temp file, and globbing for the
  // target's extension does not pick up leftovers.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'wx');
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    hooks.beforeRename?.();
    await rename(tmp, path);
  } catch (err) {
    if (fh) await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/**
 * Appends one line (a newline is added) and fsyncs, for jsonl logs. If the file does not end in a
 * newline (an earlier append was cut short by a crash), a newline is written first so the new
 * record never merges with the torn one.
 */
export async function appendLine(path: string, line: string, hooks: WriteHooks = {}): Promise<void> {
  if (/[\r\n]/.test(line)) throw new Error(`appendLine(${path}): the line must not contain a newline`);
  const fh = await open(path, 'a+');
  try {
    const { size } = await fh.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    const text = `${prefix}${line}\n`;
    if (hooks.midLine) {
      const half = Math.floor(text.length / 2);
      await fh.appendFile(text.slice(0, half));
      await fh.sync();
      hooks.midLine();
      await fh.appendFile(text.slice(half));
    } else await fh.appendFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Creates `dir` and its missing parents, one level at a time: Node's `mkdir(..., { recursive: true })`
 * never returns for some paths (e.g. under /proc), so the recursion is done here.
 */
export async function makeDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; ) {
    try {
      if ((await stat(d)).isDirectory()) break;
      throw Object.assign(new Error(`${d} is not a folder`), { code: 'ENOTDIR', path: d });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    missing.push(d);
    const parent = dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

// Makes the rename itself durable. Directories cannot be opened/fsynced on every platform
// (e.g. Windows), so this is best effort.
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // not supported here; the data itself is already fsynced
  } finally {
    if (fh) await fh.close().catch(() => undefined);
  }
}
