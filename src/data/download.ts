// HTTP(S) download into a file, atomically: the body goes to a temporary file
// beside the destination, its MD5 is checked, and only then is it renamed into
// place. Redirects are followed; a progress bar is drawn on a TTY.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Where progress goes; the bar is drawn only when isTTY is true. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

export interface DownloadOptions {
  url: string;
  /** Final path; written only after the MD5 (if given) matches. */
  dest: string;
  /** Lower-case hex MD5 the body must have. */
  expectedMd5?: string;
  /** Defaults to process.stderr. null: no progress output. */
  progress?: ProgressStream | null;
  maxRedirects?: number;
  /** Abort when the connection is idle this long (ms). */
  idleTimeoutMs?: number;
}

export interface DownloadResult {
  bytes: number;
  md5: string;
}

/** Download signature, so callers (and tests) can swap the network part. */
export type Downloader = (opts: DownloadOptions) => Promise<DownloadResult>;

function request(url: URL, idleTimeoutMs: number): Promise<http.IncomingMessage> {
  const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
  if (!mod) return Promise.reject(new Error(`unsupported URL protocol ${url.protocol}`));
  return new Promise((resolve, reject) => {
    const req = mod.get(url, { headers: { 'user-agent': 'shaped-vit' } }, resolve);
    req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`no response from ${url.host} for ${idleTimeoutMs / 1000} s`)));
    req.on('error', reject);
  });
}

/** GETs `url`, following up to maxRedirects redirects; resolves with the 200 response. */
async function get(url: string, maxRedirects: number, idleTimeoutMs: number): Promise<{ res: http.IncomingMessage; finalUrl: string }> {
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const res = await request(current, idleTimeoutMs);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= maxRedirects) throw new Error(`too many redirects (last: ${current.href})`);
      current = new URL(res.headers.location, current);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new Error(`HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''} from ${current.href}`);
    }
    return { res, finalUrl: current.href };
  }
}

function formatBar(label: string, done: number, total: number, elapsedS: number): string {
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  const speed = elapsedS > 0 ? `${mb(done / elapsedS)} MB/s` : '';
  if (total > 0) {
    const frac = Math.min(1, done / total);
    const width = 24;
    const fill = Math.round(frac * width);
    return `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(1).padStart(5)}%  ${mb(done)}/${mb(total)} MB  ${speed}`;
  }
  return `${label} ${mb(done)} MB  ${speed}`;
}

/** Downloads `url` to `dest` atomically, verifying the MD5 when given. */
export async function downloadToFile(opts: DownloadOptions): Promise<DownloadResult> {
  const { url, dest, expectedMd5, maxRedirects = 5, idleTimeoutMs = 30_000 } = opts;
  const progress = opts.progress === undefined ? process.stderr : opts.progress;
  const tty = !!progress?.isTTY;
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.partial-${process.pid}-${Date.now().toString(36)}`);
  const hash = createHash('md5');
  let bytes = 0;
  let drawn = false;
  try {
    const { res } = await get(url, maxRedirects, idleTimeoutMs);
    const total = Number(res.headers['content-length'] ?? 0);
    const label = path.basename(dest);
    const start = Date.now();
    let lastDraw = 0;
    const draw = (final: boolean): void => {
      if (!tty || !progress) return;
      const now = Date.now();
      if (!final && now - lastDraw < 100) return;
      lastDraw = now;
      drawn = true;
      progress.write(`\r${formatBar(label, bytes, total, (now - start) / 1000)}\x1b[K${final ? '\n' : ''}`);
    };
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        draw(false);
        cb(null, chunk);
      },
    });
    res.setTimeout(idleTimeoutMs, () => res.destroy(new Error(`download stalled for ${idleTimeoutMs / 1000} s`)));
    await pipeline(res, meter, createWriteStream(tmp, { mode: 0o644 }));
    draw(true);
    drawn = false;
    if (total > 0 && bytes !== total) throw new Error(`connection closed after ${bytes} of ${total} bytes`);
    const md5 = hash.digest('hex');
    if (expectedMd5 && md5 !== expectedMd5.toLowerCase()) {
      throw new Error(`MD5 mismatch for ${url}: got ${md5}, expected ${expectedMd5} (corrupt or wrong file)`);
    }
    await rename(tmp, dest);
    return { bytes, md5 };
  } catch (err) {
    if (drawn && progress) progress.write('\n');
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
