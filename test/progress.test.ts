import test from 'ava';
import { formatDuration, formatProgress, ProgressBar } from '../src/cli/progress.js';

test('formatDuration', (t) => {
  t.is(formatDuration(0), '0s');
  t.is(formatDuration(3.59992), '4s');
  t.is(formatDuration(59.4), '59s');
  t.is(formatDuration(59.6), '01:00');
  t.is(formatDuration(125), '02:05');
  t.is(formatDuration(3599), '59:59');
  t.is(formatDuration(3600), '1:00:00');
  t.is(formatDuration(3723), '1:02:03');
  t.is(formatDuration(100 * 3600 + 5), '100:00:05');
  t.is(formatDuration(Number.NaN), '--:--');
  t.is(formatDuration(Infinity), '--:--');
  t.is(formatDuration(-1), '--:--');
});

test('formatProgress: full line', (t) => {
  const line = formatProgress({ step: 120, total: 391, loss: 2.21784, imgPerSec: 1234.4, etaSeconds: 205, width: 79 });
  const text = '120/391 loss 2.2178 1234 img/s ETA 03:25';
  t.true(line.endsWith(`] ${text}`), line);
  // The bar fills the rest, capped at 40 cells: 79 - 40 - 3 = 36 cells, 120/391 of them filled.
  t.is(line.length, 79);
  t.is(line, `[${'#'.repeat(11)}${'.'.repeat(25)}] ${text}`);
});

test('formatProgress: bar proportions, rounding and limits', (t) => {
  // Width 27 leaves 27 - 3 - text length cells: 20 for "5/10", 19 for "10/10", 21 for "1/0".
  const bar = (step: number, total: number) => formatProgress({ step, total, width: 27 }).split(']')[0].slice(1);
  t.is(bar(0, 10), '.'.repeat(20));
  t.is(bar(5, 10), '#'.repeat(10) + '.'.repeat(10));
  t.is(bar(3, 10), '#'.repeat(6) + '.'.repeat(14));
  t.is(bar(10, 10), '#'.repeat(19));
  t.is(bar(12, 10), '#'.repeat(19)); // clamped
  t.is(bar(1, 0), '.'.repeat(21)); // unknown total
  t.is(formatProgress({ step: 1, total: 2, width: 200 }).indexOf(']'), 41); // bar capped at 40 cells
  t.is(formatProgress({ step: 3, total: 9, imgPerSec: 12.34, width: 60 }).split('] ')[1], '3/9 12.3 img/s');
});

test('formatProgress: never wider than asked; drops the bar, then ETA, img/s, loss', (t) => {
  const fields = { step: 120, total: 391, loss: 2.2178, imgPerSec: 1234, etaSeconds: 205 };
  for (let width = 0; width <= 120; width++) {
    const line = formatProgress({ ...fields, width });
    t.true(line.length <= width, `width ${width}: ${JSON.stringify(line)}`);
  }
  t.is(formatProgress({ ...fields, width: 48 }), '[##...] 120/391 loss 2.2178 1234 img/s ETA 03:25');
  t.is(formatProgress({ ...fields, width: 47 }), '120/391 loss 2.2178 1234 img/s ETA 03:25');
  t.is(formatProgress({ ...fields, width: 40 }), '120/391 loss 2.2178 1234 img/s ETA 03:25');
  t.is(formatProgress({ ...fields, width: 39 }), '120/391 loss 2.2178 1234 img/s');
  t.is(formatProgress({ ...fields, width: 20 }), '120/391 loss 2.2178');
  t.is(formatProgress({ ...fields, width: 10 }), '120/391');
  t.is(formatProgress({ ...fields, width: 4 }), '120/');
});

test('formatProgress: a diverged loss is shown as NaN, unknown rates are left out', (t) => {
  const line = formatProgress({ step: 2, total: 4, loss: Number.NaN, imgPerSec: Number.NaN, etaSeconds: Number.NaN, width: 40 });
  t.true(line.endsWith('] 2/4 loss NaN ETA --:--'), line);
});

function fakeStream(isTTY: boolean, columns = 60) {
  const writes: string[] = [];
  return { isTTY, columns, writes, write: (s: string) => writes.push(s) };
}

test('ProgressBar redraws in place on a TTY, throttled, and ends the line', (t) => {
  const stream = fakeStream(true, 61);
  let now = 1000;
  const bar = new ProgressBar(stream, { minIntervalMs: 100, now: () => now });
  now += 500;
  bar.update({ step: 1, total: 4, loss: 2.5, images: 128 });
  now += 50; // within the interval: skipped
  bar.update({ step: 2, total: 4, loss: 2.4, images: 256 });
  now += 100;
  bar.update({ step: 3, total: 4, loss: 2.3, images: 384 });
  now += 1; // the last step always draws
  bar.update({ step: 4, total: 4, loss: 2.2, images: 512 });
  bar.done();
  t.is(stream.writes.length, 4);
  t.true(stream.writes.slice(0, 3).every((w) => w.startsWith('\r')));
  t.is(stream.writes[3], '\n');
  // The first step is warm-up: no rate yet. Then rates from the first step on: 256 images in 0.15 s.
  t.true(stream.writes[0].endsWith('1/4 loss 2.5000'), stream.writes[0]);
  t.true(stream.writes[1].endsWith('3/4 loss 2.3000 1707 img/s ETA 0s'), stream.writes[1]);
  for (const w of stream.writes) t.true(w.replace(/^\r/, '').length <= 60, 'fits the terminal minus one column');
});

test('ProgressBar: a slow first step (compilation) does not inflate the ETA', (t) => {
  const stream = fakeStream(true, 120);
  let now = 0;
  const bar = new ProgressBar(stream, { minIntervalMs: 0, now: () => now });
  now = 60_000; // step 1 took a minute to compile
  bar.update({ step: 1, total: 101, images: 10 });
  now += 1000 * 10; // then one second per step
  bar.update({ step: 11, total: 101, images: 110 });
  t.true(stream.writes[1].endsWith('11/101 10.0 img/s ETA 01:30'), stream.writes[1]);
});

test('ProgressBar pads over a longer previous line', (t) => {
  const stream = fakeStream(true, 200);
  let now = 0;
  const bar = new ProgressBar(stream, { minIntervalMs: 0, now: () => now });
  now = 1000;
  bar.update({ step: 1, total: 100, loss: 123456.5, images: 1_000_000 });
  const first = stream.writes[0].length;
  now = 2000;
  bar.update({ step: 2, total: 100 });
  t.is(stream.writes[1].length, first);
  t.true(stream.writes[1].endsWith(' '));
});

test('ProgressBar off a TTY: a plain line every 10% of the steps, and every 30 s', (t) => {
  const stream = fakeStream(false);
  let now = 0;
  const bar = new ProgressBar(stream, { now: () => now, label: 'epoch 1/2' });
  for (let i = 1; i <= 100; i++) {
    now += 100;
    bar.update({ step: i, total: 100, loss: 1, images: i * 10 });
  }
  bar.done();
  t.is(stream.writes.length, 11, stream.writes.join(''));
  t.true(stream.writes.every((w) => w.startsWith('epoch 1/2 [') && w.endsWith('\n') && !w.includes('\r')));
  t.true(stream.writes[0].includes(' 1/100 '));
  t.true(stream.writes[1].includes(' 10/100 '));
  t.true(stream.writes[10].includes(' 100/100 '));

  const slow = fakeStream(false);
  now = 0;
  const bar2 = new ProgressBar(slow, { now: () => now });
  for (let i = 1; i <= 5; i++) {
    now += 20_000; // 20 s a step, 1000 steps: 10% would take 33 minutes
    bar2.update({ step: i, total: 1000 });
  }
  t.deepEqual(slow.writes.map((w) => w.split('] ')[1].trim().split(' ')[0]), ['1/1000', '3/1000', '5/1000']);
});

test('ProgressBar.status replaces the bar (TTY) or prints its own line', (t) => {
  const tty = fakeStream(true, 80);
  const bar = new ProgressBar(tty, { minIntervalMs: 0, label: 'epoch 2/3' });
  bar.update({ step: 1, total: 1 });
  bar.status('evaluating on 100 test images');
  bar.done();
  t.true(tty.writes[1].startsWith('\repoch 2/3 evaluating on 100 test images'));
  t.is(tty.writes.at(-1), '\n');
  const log = fakeStream(false);
  new ProgressBar(log, { label: 'epoch 2/3' }).status('evaluating on 100 test images');
  t.deepEqual(log.writes, ['epoch 2/3 evaluating on 100 test images\n']);
});
