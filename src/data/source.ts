// Where CIFAR-10 comes from, in order:
//   1. --data-dir DIR (dataDir) or CIFAR10_DIR: an extracted folder or a
//      .tar.gz the user chose (no MD5 check);
//   2. the cache (~/.cache/shaped-vit/cifar10/cifar-10-batches-bin, where
//      make-cifar10.sh and our own downloads put it);
//   3. a download of the official archive, MD5-checked.
// The cache only ever gains complete folders: archives are extracted into a
// temporary folder beside the destination and renamed into place.

import { createHash } from 'node:crypto';
import { mkdtemp, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CIFAR10_BATCH_DIR, CIFAR10_TRAIN_FILES, missingBatchFiles } from './cifar.js';
import { downloadToFile, type Downloader, type ProgressStream } from './download.js';
import { CIFAR_RECORD_BYTES } from './cifar.js';
import { extractTarGz, type ExtractLimits } from './tar.js';
import { makeDir } from '../io/atomic.js';
import { processAlive } from '../io/pid.js';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';

/**
 * What a CIFAR-10 archive may hold: six 10,000-record batches of 30,730,000 bytes and two small
 * text files; anything larger is refused from its tar header, before it is written.
 */
export const CIFAR10_EXTRACT_LIMITS: ExtractLimits = {
  maxEntryBytes: 10_000 * CIFAR_RECORD_BYTES,
  maxTotalBytes: 6 * 10_000 * CIFAR_RECORD_BYTES + 2 ** 20,
  maxEntries: 64,
};

/** The one line that tells users how to supply the data themselves. */
export const HOW_TO_PROVIDE =
  'Provide it with --data-dir DIR or CIFAR10_DIR=DIR, pointing at an extracted cifar-10-batches-bin folder or at cifar-10-binary.tar.gz.';

/** CIFAR-10 is neither given, cached nor downloadable. */
export class Cifar10UnavailableError extends Error {
  override name = 'Cifar10UnavailableError';
}

export interface ResolveCifar10Options {
  /** From the --data-dir flag; wins over CIFAR10_DIR. */
  dataDir?: string;
  env?: Record<string, string | undefined>;
  /** Defaults to ~/.cache/shaped-vit. */
  cacheDir?: string;
  /** Allow downloading when nothing is found (default true). */
  download?: boolean;
  /** Informational lines (which folder is used, extraction, download). */
  log?: (line: string) => void;
  /** Where the download progress bar goes (default process.stderr; drawn only on a TTY). */
  progress?: ProgressStream | null;
  /** Overrides for the download (tests point them at a local server). */
  url?: string;
  md5?: string;
  downloader?: Downloader;
}

export interface ResolvedCifar10 {
  /** Folder holding data_batch_1..5.bin and test_batch.bin. */
  dir: string;
  source: 'data-dir' | 'env' | 'cache' | 'download';
}

export function defaultCacheDir(): string {
  return path.join(os.homedir(), '.cache', 'shaped-vit');
}

async function kindOf(p: string): Promise<'dir' | 'file' | 'other' | null> {
  try {
    const s = await stat(p);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch {
    return null;
  }
}

/**
 * The batch folder under `root`: root/cifar-10-batches-bin, root itself, or,
 * for archives with another top-level folder, the first folder (up to 3 levels
 * down) that holds data_batch_1.bin.
 */
async function locateBatchDir(root: string, depth = 3): Promise<string | null> {
  if ((await kindOf(path.join(root, CIFAR10_BATCH_DIR, CIFAR10_TRAIN_FILES[0]))) === 'file') return path.join(root, CIFAR10_BATCH_DIR);
  if ((await kindOf(path.join(root, CIFAR10_TRAIN_FILES[0]))) === 'file') return root;
  if (depth === 0) return null;
  const entries = await readdir(root, { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory()) continue;
    const found = await locateBatchDir(path.join(root, e.name), depth - 1);
    if (found) return found;
  }
  return null;
}

async function isComplete(batchDir: string): Promise<boolean> {
  return (await kindOf(batchDir)) === 'dir' && (await missingBatchFiles(batchDir)).length === 0;
}

/**
 * Removes temporary leftovers of killed runs: those whose process (named in the temp name) is
 * gone at once, others (older names, other machines on a shared cache) after an hour.
 */
export async function sweepStale(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  const cutoff = Date.now() - 3600_000;
  for (const name of entries) {
    const owner = /^\.extract-(\d+)-|\.partial-(\d+)-/.exec(name);
    if (!name.startsWith('.extract-') && !name.includes('.partial-')) continue;
    const full = path.join(dir, name);
    try {
      const pid = owner ? Number(owner[1] ?? owner[2]) : NaN;
      const dead = Number.isSafeInteger(pid) && pid !== process.pid && !processAlive(pid);
      if (dead || (await stat(full)).mtimeMs < cutoff) await rm(full, { recursive: true, force: true });
    } catch {
      // raced with another process; fine
    }
  }
}

/**
 * Extracts `archive` and renames its batch folder to `finalDir` (atomic on
 * one filesystem). If another process got there first with a complete
 * folder, that one is kept.
 */
export async function extractArchiveTo(archive: string, finalDir: string, log: (line: string) => void): Promise<string> {
  const parent = path.dirname(finalDir);
  await makeDir(parent);
  await sweepStale(parent);
  const tmp = await mkdtemp(path.join(parent, `.extract-${process.pid}-`));
  try {
    log(`extracting ${archive} into ${finalDir}`);
    await extractTarGz(archive, tmp, CIFAR10_EXTRACT_LIMITS);
    const batchDir = await locateBatchDir(tmp);
    if (!batchDir) throw new Error(`${archive} holds no ${CIFAR10_TRAIN_FILES[0]}; is it the CIFAR-10 binary version (cifar-10-binary.tar.gz)?`);
    const missing = await missingBatchFiles(batchDir);
    if (missing.length) throw new Error(`${archive} is missing ${missing.join(', ')}`);
    try {
      await rename(batchDir, finalDir);
    } catch (err) {
      if (!(await isComplete(finalDir))) throw err;
      log(`${finalDir} was completed meanwhile by another process; using it`);
    }
    return finalDir;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Extracts the cache's own archive; one that fails is dropped, so the next run downloads it afresh instead of failing the same way. */
async function extractCached(archive: string, finalDir: string, log: (line: string) => void): Promise<string> {
  try {
    return await extractArchiveTo(archive, finalDir, log);
  } catch (err) {
    await rm(archive, { force: true });
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${reason} (the cached archive ${archive} is removed: the next run downloads it again)`);
  }
}

/** A user-chosen path (flag or env): a folder with the batches, or an archive to extract into the cache. */
async function fromUserPath(p: string, what: string, cifarCache: string, log: (line: string) => void): Promise<string> {
  const abs = path.resolve(p);
  const kind = await kindOf(abs);
  if (kind === null) throw new Error(`${what} ${p}: no such file or folder. ${HOW_TO_PROVIDE}`);
  if (kind === 'dir') {
    const batchDir = (await locateBatchDir(abs, 0)) ?? abs;
    const missing = await missingBatchFiles(batchDir);
    if (missing.length) throw new Error(`${what} ${p}: folder ${batchDir} is missing ${missing.join(', ')}`);
    return batchDir;
  }
  if (kind !== 'file') throw new Error(`${what} ${p} is neither a folder nor a file`);
  // An archive: extract once per (path, size, mtime) into the cache.
  const s = await stat(abs);
  const key = createHash('sha256').update(`${await realpath(abs)}\0${s.size}\0${s.mtimeMs}`).digest('hex').slice(0, 16);
  const finalDir = path.join(cifarCache, 'archives', key);
  if (await isComplete(finalDir)) {
    log(`using ${finalDir}, extracted earlier from ${p}`);
    return finalDir;
  }
  await sweepStale(path.dirname(finalDir));
  return extractArchiveTo(abs, finalDir, log);
}

/** Finds CIFAR-10 (see the file comment for the order) and returns its batch folder. */
export async function resolveCifar10(opts: ResolveCifar10Options = {}): Promise<ResolvedCifar10> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const cacheRoot = opts.cacheDir ?? defaultCacheDir();
  const cifarCache = path.join(cacheRoot, 'cifar10');

  if (opts.dataDir) return { dir: await fromUserPath(opts.dataDir, '--data-dir', cifarCache, log), source: 'data-dir' };
  if (env.CIFAR10_DIR) return { dir: await fromUserPath(env.CIFAR10_DIR, 'CIFAR10_DIR', cifarCache, log), source: 'env' };

  const cached = path.join(cifarCache, CIFAR10_BATCH_DIR);
  if ((await kindOf(cached)) === 'dir') {
    const missing = await missingBatchFiles(cached);
    if (missing.length) {
      throw new Error(`cached CIFAR-10 folder ${cached} is incomplete (missing ${missing.join(', ')}); delete it to download again, or ${HOW_TO_PROVIDE}`);
    }
    log(`using CIFAR-10 from ${cached}`);
    return { dir: cached, source: 'cache' };
  }

  await sweepStale(cifarCache);
  const archive = path.join(cifarCache, CIFAR10_ARCHIVE);
  if ((await kindOf(archive)) === 'file') {
    // Put there by an earlier verified download or by make-cifar10.sh.
    return { dir: await extractCached(archive, cached, log), source: 'cache' };
  }

  const url = opts.url ?? CIFAR10_URL;
  if (opts.download === false) {
    throw new Cifar10UnavailableError(`CIFAR-10 is not in ${cifarCache} and downloading is disabled. ${HOW_TO_PROVIDE}`);
  }
  try {
    await makeDir(cifarCache);
    log(`downloading ${url} into ${cifarCache}`);
    await (opts.downloader ?? downloadToFile)({ url, dest: archive, expectedMd5: opts.md5 ?? CIFAR10_MD5, progress: opts.progress });
    return { dir: await extractCached(archive, cached, log), source: 'download' };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Cifar10UnavailableError(`CIFAR-10 is not in ${cifarCache} and could not be downloaded from ${url} (${reason}). ${HOW_TO_PROVIDE}`);
  }
}
