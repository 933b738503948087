import test, { type ExecutionContext } from 'ava';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendLine, writeFileAtomic } from '../src/io/atomic.js';
import { appendMetrics, formatMetricsLine, readMetrics, writeMetrics, type MetricsRecord } from '../src/train/metrics.js';
import { niceTicks, renderCurvesSvg } from '../src/train/plot.js';

async function tempFile(name: string): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'shaped-vit-metrics-')), name);
}

function record(epoch: number, over: Partial<MetricsRecord> = {}): MetricsRecord {
  return {
    epoch,
    trainLoss: 2.2178 / epoch,
    trainAcc: Math.min(0.99, 0.2067 + 0.05 * epoch),
    valLoss: 1.9592 / epoch,
    valAcc: Math.min(0.99, 0.312 + 0.04 * epoch),
    lr: 1e-4 * epoch,
    timeSec: 3.59992,
    imgPerSec: 13889.2,
    ...over,
  };
}

// ---------------------------------------------------------------------------------------------
// metrics.jsonl

test('one JSON object per line, fields in a fixed order, read back equal', async (t) => {
  const path = await tempFile('metrics.jsonl');
  const recs = [record(1), record(2), record(3)];
  for (const r of recs) await appendMetrics(path, r);
  const text = await readFile(path, 'utf8');
  t.is(text.split('\n').length, 4);
  t.true(text.endsWith('\n'));
  t.is(
    text.split('\n')[0],
    '{"epoch":1,"trainLoss":2.2178,"trainAcc":0.2567,"valLoss":1.9592,"valAcc":0.352,"lr":0.0001,"timeSec":3.59992,"imgPerSec":13889.2}',
  );
  t.deepEqual(await readMetrics(path), recs);
});

test('a diverged run: NaN metrics are stored as null and read back as NaN', async (t) => {
  const path = await tempFile('m.jsonl');
  await appendMetrics(path, record(1, { trainLoss: Number.NaN, valLoss: Infinity }));
  t.regex(await readFile(path, 'utf8'), /"trainLoss":null,.*"valLoss":null/);
  const [r] = await readMetrics(path);
  t.true(Number.isNaN(r.trainLoss));
  t.true(Number.isNaN(r.valLoss));
  t.is(r.trainAcc, record(1).trainAcc);
});

test('invalid records are refused before anything is written', async (t) => {
  t.throws(() => formatMetricsLine(record(1, { lr: Number.NaN })), { message: /lr must be finite/ });
  t.throws(() => formatMetricsLine(record(0)), { message: /epoch must be a positive integer/ });
  t.throws(() => formatMetricsLine(record(1.5)), { message: /epoch must be a positive integer/ });
  t.throws(() => formatMetricsLine({ ...record(1), imgPerSec: '5' as unknown as number }), { message: /imgPerSec must be a number/ });
  const path = await tempFile('m.jsonl');
  await t.throwsAsync(appendMetrics(path, record(1, { timeSec: Infinity })));
  t.deepEqual(await readdir(join(path, '..')), []);
});

test('a missing file reads as no records', async (t) => {
  t.deepEqual(await readMetrics(await tempFile('absent.jsonl')), []);
});

test('a torn last line is dropped; a bad line elsewhere is an error naming the line', async (t) => {
  const path = await tempFile('m.jsonl');
  const full = `${formatMetricsLine(record(1))}\n${formatMetricsLine(record(2))}\n`;
  await writeFile(path, `${full}{"epoch":3,"trainLo`);
  t.deepEqual(await readMetrics(path), [record(1), record(2)]);
  // A newline-terminated line was written completely, so a bad one is real corruption.
  await writeFile(path, `${full}{"epoch":3,"trainLo\n`);
  await t.throwsAsync(readMetrics(path), { message: `${path}:3: not valid JSON` });
  await writeFile(path, `${formatMetricsLine(record(1))}\n{"epoch":2}\n${formatMetricsLine(record(3))}\n`);
  await t.throwsAsync(readMetrics(path), { message: `${path}:2: field trainLoss is missing or not a number` });
  await writeFile(path, `[1]\n${full}`);
  await t.throwsAsync(readMetrics(path), { message: `${path}:1: not a JSON object` });
  await writeFile(path, `${formatMetricsLine(record(1)).replace('"lr":0.0001', '"lr":"0.0001"')}\n`);
  await t.throwsAsync(readMetrics(path), { message: `${path}:1: field lr is missing or not a number` });
  await writeFile(path, `${formatMetricsLine(record(1)).replace('"epoch":1', '"epoch":1.5')}\n`);
  await t.throwsAsync(readMetrics(path), { message: `${path}:1: epoch 1.5 is not a positive integer` });
  await writeFile(path, `${full}\n\n`); // blank lines are ignored
  t.deepEqual(await readMetrics(path), [record(1), record(2)]);
});

test('resume: drop the torn tail and later epochs, rewrite, then keep appending', async (t) => {
  const path = await tempFile('m.jsonl');
  for (const e of [1, 2, 3]) await appendMetrics(path, record(e));
  await writeFile(path, (await readFile(path, 'utf8')) + '{"epoch":4,"tra');
  // The checkpoint being resumed is from the end of epoch 2.
  const kept = (await readMetrics(path)).filter((r) => r.epoch <= 2);
  await writeMetrics(path, kept);
  await appendMetrics(path, record(3, { lr: 42 }));
  t.deepEqual(await readMetrics(path), [record(1), record(2), record(3, { lr: 42 })]);
});

test('appendLine starts a fresh line after a torn write and refuses embedded newlines', async (t) => {
  const path = await tempFile('log.jsonl');
  await writeFile(path, '{"torn"');
  await appendLine(path, '{"ok":1}');
  t.is(await readFile(path, 'utf8'), '{"torn"\n{"ok":1}\n');
  await appendLine(path, '{"ok":2}');
  t.is(await readFile(path, 'utf8'), '{"torn"\n{"ok":1}\n{"ok":2}\n');
  await t.throwsAsync(appendLine(path, 'a\nb'), { message: /must not contain a newline/ });
});

test('writeFileAtomic replaces the whole file and leaves no temp file', async (t) => {
  const path = await tempFile('curves.svg');
  await writeFileAtomic(path, 'a much longer first version');
  await writeFileAtomic(path, 'short');
  t.is(await readFile(path, 'utf8'), 'short');
  t.deepEqual(await readdir(join(path, '..')), ['curves.svg']);
  await t.throwsAsync(writeFileAtomic(join(path, '..', 'no-such-dir', 'x.svg'), 'x'), { code: 'ENOENT' });
  t.deepEqual(await readdir(join(path, '..')), ['curves.svg']);
});

// ---------------------------------------------------------------------------------------------
// SVG

/** A strict-enough XML check: balanced tags, quoted attributes, escaped text, one root. */
function assertWellFormed(t: ExecutionContext, svg: string): void {
  const stack: string[] = [];
  let roots = 0;
  const re = /<[^>]*>|[^<]+/g;
  let consumed = 0;
  for (const m of svg.matchAll(re)) {
    t.is(m.index, consumed, 'no stray "<"');
    consumed = m.index + m[0].length;
    const tok = m[0];
    if (!tok.startsWith('<')) {
      // Text: only entity-escaped ampersands, and nothing outside the root but whitespace.
      t.false(/&(?!(?:amp|lt|gt|quot|apos);)/.test(tok), `unescaped & in ${JSON.stringify(tok)}`);
      if (stack.length === 0) t.is(tok.trim(), '', 'text outside the root element');
      continue;
    }
    const close = /^<\/([a-zA-Z][\w-]*)\s*>$/.exec(tok);
    if (close) {
      t.is(stack.pop(), close[1], `mismatched </${close[1]}>`);
      continue;
    }
    const open = /^<([a-zA-Z][\w-]*)((?:\s+[a-zA-Z][\w:-]*="[^"<]*")*)\s*(\/?)>$/.exec(tok);
    if (!open) {
      t.fail(`malformed tag ${tok}`);
      continue;
    }
    const names = [...open[2].matchAll(/([a-zA-Z][\w:-]*)=/g)].map((a) => a[1]);
    t.is(new Set(names).size, names.length, `duplicate attribute in ${tok}`);
    t.false(/&(?!(?:amp|lt|gt|quot|apos);)/.test(open[2]), `unescaped & in ${tok}`);
    if (stack.length === 0) roots++;
    if (open[3] !== '/') stack.push(open[1]);
  }
  t.is(consumed, svg.length);
  t.deepEqual(stack, [], 'unclosed tags');
  t.is(roots, 1, 'exactly one root element');
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
}

function polylines(svg: string): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const m of svg.matchAll(/<polyline data-series="([^"]+)"[^>]* points="([^"]*)"/g)) {
    out.set(m[1], m[2].split(' ').map((p) => p.split(',').map(Number) as [number, number]));
  }
  return out;
}

test('two panels with train and val polylines, one point per epoch, axes, ticks, labels, legend', (t) => {
  const recs = Array.from({ length: 30 }, (_, i) => record(i + 1));
  const svg = renderCurvesSvg(recs);
  assertWellFormed(t, svg);
  const lines = polylines(svg);
  t.deepEqual([...lines.keys()], ['loss-train', 'loss-val', 'accuracy-train', 'accuracy-val']);
  for (const [name, pts] of lines) {
    t.is(pts.length, 30, name);
    for (const [x, y] of pts) t.true(x >= 0 && x <= 960 && y >= 0 && y <= 360, `${name} point ${x},${y} inside the canvas`);
    for (let i = 1; i < pts.length; i++) t.true(pts[i][0] > pts[i - 1][0], `${name}: x increases with the epoch`);
  }
  // Loss falls, so its curve goes down the screen (SVG y grows downward); accuracy rises.
  const loss = lines.get('loss-train')!;
  t.true(loss[loss.length - 1][1] > loss[0][1]);
  const acc = lines.get('accuracy-val')!;
  t.true(acc[acc.length - 1][1] < acc[0][1]);
  // The accuracy panel sits in the right half.
  t.true(acc.every(([x]) => x > 480));
  t.true(loss.every(([x]) => x < 480));
  for (const label of ['Loss', 'Accuracy', 'epoch', 'loss', 'accuracy', 'train', 'val']) t.true(svg.includes(`>${label}</text>`), label);
  t.true(svg.includes('>10</text>') && svg.includes('>20</text>') && svg.includes('>30</text>'), 'epoch tick labels');
  t.false(/NaN|Infinity|undefined/.test(svg));
});

test('a single record still renders visibly (markers) and without NaN', (t) => {
  const svg = renderCurvesSvg([record(1)]);
  assertWellFormed(t, svg);
  const lines = polylines(svg);
  t.is(lines.size, 4);
  for (const pts of lines.values()) t.is(pts.length, 1);
  t.is(svg.match(/<circle /g)?.length, 4);
  t.false(/NaN|Infinity/.test(svg));
  // With identical values everywhere the y range is padded rather than collapsing to zero.
  const flat = renderCurvesSvg([record(1, { trainLoss: 1, valLoss: 1, trainAcc: 0, valAcc: 0 })]);
  assertWellFormed(t, flat);
  t.false(/NaN|Infinity/.test(flat));
});

test('non-finite values are skipped, never written', (t) => {
  const recs = [record(1), record(2, { valLoss: Number.NaN, trainLoss: Infinity }), record(3)];
  const svg = renderCurvesSvg(recs);
  assertWellFormed(t, svg);
  const lines = polylines(svg);
  t.is(lines.get('loss-train')!.length, 2);
  t.is(lines.get('loss-val')!.length, 2);
  t.is(lines.get('accuracy-train')!.length, 3);
  t.false(/NaN|Infinity/.test(svg));
  // Records arriving out of order are plotted in epoch order.
  t.deepEqual(polylines(renderCurvesSvg([record(3), record(1), record(2)])).get('loss-val'), polylines(renderCurvesSvg([record(1), record(2), record(3)])).get('loss-val'));
});

test('no records: an empty but valid chart', (t) => {
  const svg = renderCurvesSvg([]);
  assertWellFormed(t, svg);
  t.is(polylines(svg).size, 0);
  t.true(svg.includes('no data yet'));
  t.false(/NaN|Infinity/.test(svg));
});

test('the title is escaped', (t) => {
  const svg = renderCurvesSvg([record(1), record(2)], { title: 'ViT <patch 8> & "friends"' });
  assertWellFormed(t, svg);
  t.true(svg.includes('>ViT &lt;patch 8&gt; &amp; &quot;friends&quot;</text>'));
});

test('niceTicks', (t) => {
  t.deepEqual(niceTicks(0, 2.3, 5, false), [0, 0.5, 1, 1.5, 2, 2.5]);
  t.deepEqual(niceTicks(0.2067, 0.9, 5, false), [0.2, 0.4, 0.6, 0.8, 1]);
  t.deepEqual(niceTicks(0.3, 0.31, 5, false), [0.3, 0.302, 0.304, 0.306, 0.308, 0.31]);
  t.deepEqual(niceTicks(1, 250, 6, true), [0, 50, 100, 150, 200, 250]);
  t.deepEqual(niceTicks(0, 2, 6, true), [0, 1, 2]);
});
