import { sharedDir } from './support/cifar-fixture.js';
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, CIFAR_RECORD_BYTES, loadCifar10 } from '../src/data/cifar.js';
import { downloadToFile } from '../src/data/download.js';
import { CIFAR10_MD5, Cifar10UnavailableError, HOW_TO_PROVIDE, resolveCifar10 } from '../src/data/source.js';
import { TarSafetyError, extractTarGz } from '../src/data/tar.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BATCH_FILES = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];

async function tmpDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'data-source-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

// ------------------------------------------------------------ a tiny tar writer for crafting archives

function field(h: Buffer, off: number, len: number, value: string): void {
  Buffer.from(value, 'utf8').copy(h, off, 0, len);
}

interface EntrySpec {
  name: string;
  data?: Buffer | string;
  type?: string;
  linkname?: string;
  prefix?: string;
  gnu?: boolean;
}

function header(spec: EntrySpec, size: number): Buffer {
  const h = Buffer.alloc(512);
  field(h, 0, 100, spec.name);
  field(h, 100, 8, '0000644\0');
  field(h, 108, 8, '0000000\0');
  field(h, 116, 8, '0000000\0');
  field(h, 124, 12, `${size.toString(8).padStart(11, '0')}\0`);
  field(h, 136, 12, '14000000000\0');
  field(h, 156, 1, spec.type ?? '0');
  if (spec.linkname) field(h, 157, 100, spec.linkname);
  if (spec.gnu) field(h, 257, 8, 'ustar  \0');
  else field(h, 257, 8, 'ustar\u000000');
  if (spec.prefix) field(h, 345, 155, spec.prefix);
  field(h, 148, 8, '        ');
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

function entry(spec: EntrySpec): Buffer {
  const data = Buffer.from(spec.data ?? '');
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header(spec, data.length), data, pad]);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len++;
  return `${len}${body}`;
}

function tarGz(entries: Buffer[]): Buffer {
  return gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
}

/** Two-record batch files (labels k, k+1) as a tar.gz with a cifar-10-batches-bin/ folder. */
function cifarTarGz(): Buffer {
  return tarGz([
    entry({ name: 'cifar-10-batches-bin/', type: '5' }),
    ...BATCH_FILES.map((f, k) => {
      const data = Buffer.alloc(2 * CIFAR_RECORD_BYTES, 7 * k);
      data[0] = k;
      data[CIFAR_RECORD_BYTES] = k + 1;
      return entry({ name: `cifar-10-batches-bin/${f}`, data });
    }),
    entry({ name: 'cifar-10-batches-bin/batches.meta.txt', data: 'airplane\n' }),
  ]);
}

async function writeCifarDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [k, f] of BATCH_FILES.entries()) {
    const data = Buffer.alloc(CIFAR_RECORD_BYTES, 3);
    data[0] = k;
    await writeFile(path.join(dir, f), data);
  }
}

async function tree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

// ------------------------------------------------------------ tar extraction

test('extractTarGz writes files and folders, with ustar prefix, GNU long names and pax paths', async (t) => {
  const dir = await tmpDir(t);
  const long = `deep/${'n'.repeat(140)}.bin`;
  const archive = path.join(dir, 'ok.tar.gz');
  await writeFile(archive, tarGz([
    entry({ name: 'top/', type: '5' }),
    entry({ name: 'top/a.txt', data: 'alpha' }),
    entry({ name: 'b.txt', prefix: 'top/sub', data: 'beta' }),
    entry({ name: '././@LongLink', type: 'L', data: `${long}\0`, gnu: true }),
    entry({ name: 'truncated-name', data: Buffer.alloc(700, 1), gnu: true }),
    entry({ name: 'PaxHeader', type: 'x', data: paxRecord('path', 'top/pax-name.txt') }),
    entry({ name: 'short', data: 'gamma' }),
    entry({ name: './empty.txt' }),
  ]));
  const out = path.join(dir, 'out');
  const files = await extractTarGz(archive, out);
  t.is(files.length, 5);
  t.is(await readFile(path.join(out, 'top/a.txt'), 'utf8'), 'alpha');
  t.is(await readFile(path.join(out, 'top/sub/b.txt'), 'utf8'), 'beta');
  t.deepEqual(await readFile(path.join(out, long)), Buffer.alloc(700, 1));
  t.is(await readFile(path.join(out, 'top/pax-name.txt'), 'utf8'), 'gamma');
  t.is(await readFile(path.join(out, 'empty.txt'), 'utf8'), '');
  t.false(existsSync(path.join(out, 'truncated-name')));
  t.false(existsSync(path.join(out, 'short')));
});

const malicious: [string, EntrySpec[], RegExp][] = [
  ['parent path', [{ name: '../evil.txt', data: 'x' }], /"\.\.\/evil\.txt" has a "\.\." component/],
  ['nested parent path', [{ name: 'ok/../../evil.txt', data: 'x' }], /has a "\.\." component/],
  ['absolute path', [{ name: '/tmp/evil-abs.txt', data: 'x' }], /"\/tmp\/evil-abs\.txt" has an absolute path/],
  ['backslash path', [{ name: '..\\evil.txt', data: 'x' }], /has a backslash/],
  ['symlink', [{ name: 'link', type: '2', linkname: '../evil.txt' }], /"link" is a symbolic link \(to "\.\.\/evil\.txt"\); refusing/],
  ['hard link', [{ name: 'hard', type: '1', linkname: '/etc/passwd' }], /"hard" is a hard link \(to "\/etc\/passwd"\)/],
  ['fifo', [{ name: 'pipe', type: '6' }], /"pipe" is a FIFO/],
  ['char device', [{ name: 'dev', type: '3' }], /"dev" is a character device/],
  ['GNU long name', [{ name: '././@LongLink', type: 'L', data: '../evil.txt\0', gnu: true }, { name: 'x', data: 'x', gnu: true }], /"\.\.\/evil\.txt" has a "\.\." component/],
  ['pax path', [{ name: 'PaxHeader', type: 'x', data: paxRecord('path', '/evil-pax.txt') }, { name: 'x', data: 'x' }], /"\/evil-pax\.txt" has an absolute path/],
];

for (const [what, specs, message] of malicious) {
  test(`extractTarGz refuses an entry with a ${what}`, async (t) => {
    const dir = await tmpDir(t);
    const archive = path.join(dir, 'bad.tar.gz');
    // A harmless file first, so the bad entry is met mid-stream.
    await writeFile(archive, tarGz([entry({ name: 'fine.txt', data: 'ok' }), ...specs.map(entry)]));
    const target = path.join(dir, 'a', 'b');
    const err = await t.throwsAsync(extractTarGz(archive, target), { instanceOf: TarSafetyError, message });
    t.false(err?.message.includes('\n'));
    t.deepEqual(await tree(dir), ['a', 'a/b', 'a/b/fine.txt', 'bad.tar.gz']);
  });
}

test('extractTarGz reports corrupt input clearly', async (t) => {
  const dir = await tmpDir(t);
  const notGz = path.join(dir, 'plain.tar.gz');
  await writeFile(notGz, 'this is not gzip');
  await t.throwsAsync(extractTarGz(notGz, path.join(dir, 'o1')), { message: /plain\.tar\.gz: not a valid gzip file/ });
  const notTar = path.join(dir, 'random.tar.gz');
  await writeFile(notTar, gzipSync(Buffer.alloc(2048, 65)));
  await t.throwsAsync(extractTarGz(notTar, path.join(dir, 'o2')), { message: /random\.tar\.gz: not a tar archive or corrupt header at byte 0/ });
  const full = cifarTarGz();
  const cut = path.join(dir, 'cut.tar.gz');
  await writeFile(cut, full.subarray(0, Math.floor(full.length / 2)));
  await t.throwsAsync(extractTarGz(cut, path.join(dir, 'o3')));
  const shortTar = path.join(dir, 'short.tar.gz');
  await writeFile(shortTar, gzipSync(Buffer.concat([header({ name: 'f' }, 1000), Buffer.alloc(100)])));
  await t.throwsAsync(extractTarGz(shortTar, path.join(dir, 'o4')), { message: /archive is truncated/ });
});

// ------------------------------------------------------------ resolving the data

test('--data-dir folder (nested or direct) is used as is, and wins over CIFAR10_DIR', async (t) => {
  const dir = await tmpDir(t);
  await writeCifarDir(path.join(dir, 'a', 'cifar-10-batches-bin'));
  await writeCifarDir(path.join(dir, 'b'));
  const cacheDir = path.join(dir, 'cache');
  const env = { CIFAR10_DIR: path.join(dir, 'b') };
  t.deepEqual(await resolveCifar10({ dataDir: path.join(dir, 'a'), env, cacheDir, download: false }), {
    dir: path.join(dir, 'a', 'cifar-10-batches-bin'),
    source: 'data-dir',
  });
  t.deepEqual(await resolveCifar10({ env, cacheDir, download: false }), { dir: path.join(dir, 'b'), source: 'env' });
  t.deepEqual(await tree(cacheDir), []);
});

test('--data-dir errors: missing path, incomplete folder', async (t) => {
  const dir = await tmpDir(t);
  const cacheDir = path.join(dir, 'cache');
  await t.throwsAsync(resolveCifar10({ dataDir: path.join(dir, 'nope'), env: {}, cacheDir }), { message: /--data-dir .*nope: no such file or folder/ });
  await t.throwsAsync(resolveCifar10({ env: { CIFAR10_DIR: path.join(dir, 'nope') }, cacheDir }), { message: /^CIFAR10_DIR .*nope: no such file or folder/ });
  await writeCifarDir(path.join(dir, 'part'));
  await rm(path.join(dir, 'part', 'data_batch_3.bin'));
  await rm(path.join(dir, 'part', 'test_batch.bin'));
  await t.throwsAsync(resolveCifar10({ dataDir: path.join(dir, 'part'), env: {}, cacheDir }), { message: /is missing data_batch_3\.bin, test_batch\.bin$/ });
});

test('--data-dir .tar.gz is extracted once into the cache, atomically', async (t) => {
  const dir = await tmpDir(t);
  const archive = path.join(dir, 'cifar-10-binary.tar.gz');
  await writeFile(archive, cifarTarGz());
  const cacheDir = path.join(dir, 'cache');
  const logs: string[] = [];
  const first = await resolveCifar10({ dataDir: archive, env: {}, cacheDir, download: false, log: (l) => logs.push(l) });
  t.is(first.source, 'data-dir');
  t.is(path.dirname(first.dir), path.join(cacheDir, 'cifar10', 'archives'));
  const { train, test: testSplit } = await loadCifar10(first.dir);
  t.deepEqual([...train.labels], [0, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
  t.is(testSplit.count, 2);
  // No temporary folders left beside it.
  t.deepEqual(await readdir(path.dirname(first.dir)), [path.basename(first.dir)]);
  const again = await resolveCifar10({ dataDir: archive, env: {}, cacheDir, download: false, log: (l) => logs.push(l) });
  t.is(again.dir, first.dir);
  t.true(logs.some((l) => l.startsWith('extracting')));
  t.true(logs.at(-1)!.includes('extracted earlier'));
});

test('a malicious or foreign archive given by the user fails without leaving anything in the cache', async (t) => {
  const dir = await tmpDir(t);
  const cacheDir = path.join(dir, 'cache');
  const evil = path.join(dir, 'evil.tar.gz');
  await writeFile(evil, tarGz([entry({ name: 'cifar-10-batches-bin/data_batch_1.bin', data: 'x' }), entry({ name: '../../escape.txt', data: 'x' })]));
  await t.throwsAsync(resolveCifar10({ dataDir: evil, env: {}, cacheDir }), { instanceOf: TarSafetyError });
  const other = path.join(dir, 'other.tar.gz');
  await writeFile(other, tarGz([entry({ name: 'readme.txt', data: 'hello' })]));
  await t.throwsAsync(resolveCifar10({ dataDir: other, env: {}, cacheDir }), { message: /holds no data_batch_1\.bin/ });
  t.deepEqual(await tree(path.join(cacheDir, 'cifar10', 'archives')), []);
  t.false(existsSync(path.join(dir, 'escape.txt')));
});

test('archive members larger than a CIFAR batch are refused from their header, before a byte is written', async (t) => {
  const dir = await tmpDir(t);
  const cacheDir = path.join(dir, 'cache');
  // a 2 GiB member: only its header and a little data are in the archive (a real one would inflate from ~2 MB)
  const bomb = path.join(dir, 'bomb.tar.gz');
  await writeFile(bomb, gzipSync(Buffer.concat([header({ name: 'cifar-10-batches-bin/data_batch_1.bin' }, 2 ** 31), Buffer.alloc(1 << 20)])));
  await t.throwsAsync(resolveCifar10({ dataDir: bomb, env: {}, cacheDir }), {
    instanceOf: TarSafetyError,
    message: /bomb\.tar\.gz: archive entry "cifar-10-batches-bin\/data_batch_1\.bin" is 2147483648 bytes, more than the 30730000 allowed; refusing before writing it$/,
  });
  t.deepEqual(await tree(path.join(cacheDir, 'cifar10', 'archives')), []);
});

test('extractTarGz limits: the total and the number of entries', async (t) => {
  const dir = await tmpDir(t);
  const archive = path.join(dir, 'a.tar.gz');
  await writeFile(archive, tarGz(['a', 'b', 'c'].map((name) => entry({ name, data: Buffer.alloc(100, 1) }))));
  const limits = { maxEntryBytes: 100, maxTotalBytes: 250, maxEntries: 10 };
  await t.throwsAsync(extractTarGz(archive, path.join(dir, 'o1'), limits), { message: /files add up to more than the 250 bytes allowed/ });
  t.deepEqual(await tree(path.join(dir, 'o1')), ['a', 'b'], 'nothing of the refused member is written');
  await t.throwsAsync(extractTarGz(archive, path.join(dir, 'o2'), { ...limits, maxTotalBytes: 1000, maxEntries: 2 }), { message: /more than 2 entries/ });
  t.deepEqual(await extractTarGz(archive, path.join(dir, 'o3'), { ...limits, maxTotalBytes: 300 }).then((f) => f.length), 3);
});

test('a killed run\'s .extract-* folder is removed at the next start; a live one is kept', async (t) => {
  const dir = await tmpDir(t);
  const cacheDir = path.join(dir, 'cache');
  const archives = path.join(cacheDir, 'cifar10', 'archives');
  const dead = path.join(archives, '.extract-4194305-abc'); // above any Linux pid_max: never alive
  const live = path.join(archives, `.extract-${process.pid}-def`);
  for (const d of [dead, live]) {
    await mkdir(d, { recursive: true });
    await writeFile(path.join(d, 'data_batch_1.bin'), Buffer.alloc(1000));
  }
  const archive = path.join(dir, 'cifar.tar.gz');
  await writeFile(archive, cifarTarGz());
  await resolveCifar10({ dataDir: archive, env: {}, cacheDir });
  t.false(existsSync(dead));
  t.true(existsSync(live));
});

test('the cache folder is used when present; an incomplete one is reported', async (t) => {
  const dir = await tmpDir(t);
  const cacheDir = path.join(dir, 'cache');
  const cached = path.join(cacheDir, 'cifar10', 'cifar-10-batches-bin');
  await writeCifarDir(cached);
  t.deepEqual(await resolveCifar10({ env: {}, cacheDir, download: false }), { dir: cached, source: 'cache' });
  await rm(path.join(cached, 'data_batch_5.bin'));
  await t.throwsAsync(resolveCifar10({ env: {}, cacheDir, download: false }), { message: /is incomplete \(missing data_batch_5\.bin\)/ });
});

test('an archive already in the cache (make-cifar10.sh output) is extracted without MD5 check', async (t) => {
  const dir = await tmpDir(t);
  const cacheDir = path.join(dir, 'cache');
  await mkdir(path.join(cacheDir, 'cifar10'), { recursive: true });
  await writeFile(path.join(cacheDir, 'cifar10', 'cifar-10-binary.tar.gz'), cifarTarGz());
  const r = await resolveCifar10({ env: {}, cacheDir, download: false });
  t.deepEqual(r, { dir: path.join(cacheDir, 'cifar10', 'cifar-10-batches-bin'), source: 'cache' });
  t.deepEqual(await readdir(path.join(cacheDir, 'cifar10')), ['cifar-10-batches-bin', 'cifar-10-binary.tar.gz']);
});

// ------------------------------------------------------------ download

interface Server {
  base: string;
  hits: string[];
}

async function serve(t: ExecutionContext, body: Buffer): Promise<Server> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/hop' });
      res.end();
    } else if (req.url === '/hop') {
      res.writeHead(307, { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/data.tgz` });
      res.end();
    } else if (req.url === '/data.tgz') {
      res.writeHead(200, { 'content-length': body.length });
      // Several chunks so the progress bar has something to draw.
      const step = Math.ceil(body.length / 4);
      for (let i = 0; i < body.length; i += step) res.write(body.subarray(i, i + step));
      res.end();
    } else if (req.url === '/truncated') {
      res.writeHead(200, { 'content-length': body.length + 5000 });
      res.write(body, () => res.destroy());
    } else {
      res.writeHead(404, 'Not Found');
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

test('download: follows redirects, checks MD5, extracts into the cache', async (t) => {
  const dir = await tmpDir(t);
  const body = cifarTarGz();
  const { base, hits } = await serve(t, body);
  const cacheDir = path.join(dir, 'cache');
  const r = await resolveCifar10({ env: {}, cacheDir, url: `${base}/redirect`, md5: md5(body), progress: null });
  t.deepEqual(r, { dir: path.join(cacheDir, 'cifar10', 'cifar-10-batches-bin'), source: 'download' });
  t.deepEqual(hits, ['/redirect', '/hop', '/data.tgz']);
  t.deepEqual(await readdir(path.join(cacheDir, 'cifar10')), ['cifar-10-batches-bin', 'cifar-10-binary.tar.gz']);
  t.deepEqual(await readFile(path.join(cacheDir, 'cifar10', 'cifar-10-binary.tar.gz')), body);
  // Second run: found in the cache, no request.
  t.is((await resolveCifar10({ env: {}, cacheDir, url: `${base}/redirect`, progress: null })).source, 'cache');
  t.is(hits.length, 3);
});

test('download: MD5 mismatch leaves nothing in the cache and says how to provide the data', async (t) => {
  const dir = await tmpDir(t);
  const { base } = await serve(t, cifarTarGz());
  const cacheDir = path.join(dir, 'cache');
  const err = await t.throwsAsync(resolveCifar10({ env: {}, cacheDir, url: `${base}/data.tgz`, progress: null }), { instanceOf: Cifar10UnavailableError });
  t.regex(err!.message, new RegExp(`MD5 mismatch .* expected ${CIFAR10_MD5}`));
  t.true(err!.message.endsWith(HOW_TO_PROVIDE));
  t.false(err!.message.includes('\n'));
  t.deepEqual(await tree(path.join(cacheDir, 'cifar10')), []);
});

test('download: offline, HTTP errors and truncated bodies give one clear message', async (t) => {
  const dir = await tmpDir(t);
  const cacheDir = path.join(dir, 'cache');
  // A port that was just closed: connection refused, as when offline.
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const offline = await t.throwsAsync(resolveCifar10({ env: {}, cacheDir, url: `http://127.0.0.1:${closedPort}/x.tgz`, progress: null }), {
    instanceOf: Cifar10UnavailableError,
  });
  t.regex(offline!.message, /^CIFAR-10 is not in .* and could not be downloaded from http:\/\/127\.0\.0\.1:\d+\/x\.tgz \(connect ECONNREFUSED .*\)\. Provide it with --data-dir DIR or CIFAR10_DIR=DIR, pointing at an extracted cifar-10-batches-bin folder or at cifar-10-binary\.tar\.gz\.$/);

  const body = cifarTarGz();
  const { base } = await serve(t, body);
  await t.throwsAsync(resolveCifar10({ env: {}, cacheDir, url: `${base}/missing`, progress: null }), { message: /\(HTTP 404 Not Found from .*\/missing\)\. Provide it with --data-dir/ });
  await t.throwsAsync(resolveCifar10({ env: {}, cacheDir, url: `${base}/truncated`, md5: md5(body), progress: null }), { instanceOf: Cifar10UnavailableError });
  t.deepEqual(await tree(path.join(cacheDir, 'cifar10')), []);

  await t.throwsAsync(resolveCifar10({ env: {}, cacheDir, download: false }), { message: `CIFAR-10 is not in ${path.join(cacheDir, 'cifar10')} and downloading is disabled. ${HOW_TO_PROVIDE}` });
});

test('download: the network part is injectable', async (t) => {
  const dir = await tmpDir(t);
  const cacheDir = path.join(dir, 'cache');
  const seen: string[] = [];
  const r = await resolveCifar10({
    env: {},
    cacheDir,
    url: 'https://example.invalid/c.tgz',
    downloader: async ({ url, dest, expectedMd5 }) => {
      seen.push(url, expectedMd5 ?? '');
      const body = cifarTarGz();
      await writeFile(dest, body);
      return { bytes: body.length, md5: md5(body) };
    },
  });
  t.deepEqual(seen, ['https://example.invalid/c.tgz', CIFAR10_MD5]);
  t.is(r.source, 'download');
});

test('download progress bar is drawn on a TTY only', async (t) => {
  const dir = await tmpDir(t);
  const body = Buffer.alloc(3_000_000, 1);
  const { base } = await serve(t, body);
  const sink = (isTTY: boolean): { stream: Writable & { isTTY: boolean }; text: () => string } => {
    const parts: string[] = [];
    const stream = Object.assign(new Writable({ write: (c, _e, cb) => (parts.push(String(c)), cb()) }), { isTTY });
    return { stream, text: () => parts.join('') };
  };
  const tty = sink(true);
  await downloadToFile({ url: `${base}/data.tgz`, dest: path.join(dir, 'a.bin'), expectedMd5: md5(body), progress: tty.stream });
  t.regex(tty.text(), /\ra\.bin \[#{24}\] 100\.0%  3\.0\/3\.0 MB  [\d.]+ MB\/s\x1b\[K\n$/);
  const pipe = sink(false);
  await downloadToFile({ url: `${base}/data.tgz`, dest: path.join(dir, 'b.bin'), progress: pipe.stream });
  t.is(pipe.text(), '');
  t.true((await readFile(path.join(dir, 'b.bin'))).equals(body)); // (deepEqual is slow on megabytes)
});

// ------------------------------------------------------------ real data

test('a .tar.gz made by make-cifar10.sh resolves and loads 50000 / 10000 records', async (t) => {
  const script = path.join(sharedDir(), 'data/cifar10/make-cifar10.sh');
  t.true(existsSync(script), `${script} is needed for this test`);
  const dir = await tmpDir(t);
  await promisify(execFile)('bash', [script, path.join(dir, 'made')], { maxBuffer: 1 << 24 });
  const archive = path.join(dir, 'made', 'cifar-10-binary.tar.gz');
  const r = await resolveCifar10({ dataDir: archive, env: {}, cacheDir: path.join(dir, 'cache'), download: false });
  const { train, test: testSplit } = await loadCifar10(r.dir);
  t.is(train.count, 50000);
  t.is(testSplit.count, 10000);
  t.is(train.images.length, 50000 * 3072);
  for (const split of [train, testSplit]) {
    const perClass = new Array<number>(10).fill(0);
    for (const l of split.labels) perClass[l]++; // a label > 9 would make this NaN
    t.deepEqual(perClass, new Array(10).fill(split.count / 10));
  }
});

test('archive entry names are printed with control characters escaped', async (t) => {
  const dir = await tmpDir(t);
  const archive = path.join(dir, 'evil.tar.gz');
  // an ANSI "clear screen" and a bell in a symlink's name
  await writeFile(archive, tarGz([entry({ name: 'x\u001b[2J\u0007\u009b.bin', type: '2', linkname: '/etc/\u001b]0;pwned\u0007' })]));
  const err = await t.throwsAsync(extractTarGz(archive, path.join(dir, 'out')), { instanceOf: TarSafetyError });
  t.false(/[\u0000-\u001f\u007f-\u009f]/.test(err!.message), JSON.stringify(err!.message));
  t.regex(err!.message, /archive entry "x\\u001b\[2J\\u0007\\u009b\.bin" is a symbolic link \(to "\/etc\/\\u001b\]0;pwned\\u0007"\)/);
});

test('a cached archive whose extraction fails is dropped, so the next run downloads it afresh', async (t) => {
  const dir = await tmpDir(t);
  const cacheDir = path.join(dir, 'cache');
  await mkdir(path.join(cacheDir, 'cifar10'), { recursive: true });
  const archive = path.join(cacheDir, 'cifar10', 'cifar-10-binary.tar.gz');
  await writeFile(archive, gzipSync(Buffer.from('not a tar archive at all, but gzip is fine')));
  const err = await t.throwsAsync(resolveCifar10({ env: {}, cacheDir, download: false }));
  t.regex(err!.message, /cifar-10-binary\.tar\.gz is removed: the next run downloads it again/);
  t.false(existsSync(archive));
  t.deepEqual(await readdir(path.join(cacheDir, 'cifar10')), []);
});
