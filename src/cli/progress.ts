// Progress of training epochs. On a terminal one line redraws in place with "\r"; when output is
// redirected (a log file, CI, `| tee`) a plain line every 10% of an epoch or 30 s, so the log
// shows the run is alive without burying the per-epoch summary lines.

export interface ProgressFields {
  step: number;
  total: number;
  /** Running mean loss of the epoch so far. */
  loss?: number;
  imgPerSec?: number;
  etaSeconds?: number;
  /** Characters available; the result never exceeds it. */
  width: number;
}

/** "12s", "03:25", "1:02:03"; "--:--" when unknown (not finite or negative). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${String(m).padStart(2, '0')}:${sec}`;
}

/**
 * Formats one progress line: `[#####.....] 120/391 loss 2.2178 1234 img/s ETA 03:25`.
 * The bar takes whatever width the text leaves; on narrow terminals the bar goes first, then
 * the least important fields, and the text is finally cut to fit.
 */
export function formatProgress({ step, total, loss, imgPerSec, etaSeconds, width }: ProgressFields): string {
  const w = Math.max(0, Math.floor(width));
  const frac = total > 0 ? Math.min(1, Math.max(0, step / total)) : 0;
  const fields = [
    `${step}/${total}`,
    loss !== undefined ? `loss ${Number.isFinite(loss) ? loss.toFixed(4) : String(loss)}` : '',
    imgPerSec !== undefined && Number.isFinite(imgPerSec) ? `${imgPerSec >= 100 ? imgPerSec.toFixed(0) : imgPerSec.toFixed(1)} img/s` : '',
    etaSeconds !== undefined ? `ETA ${formatDuration(etaSeconds)}` : '',
  ].filter((f) => f !== '');
  let text = fields.join(' ');
  const barWidth = Math.min(40, w - text.length - 3); // "[" + bar + "] "
  if (barWidth >= 5) {
    const filled = Math.round(frac * barWidth);
    return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${text}`;
  }
  // No room for a useful bar: drop it, then fields from the end (ETA, img/s, loss) until it fits.
  while (text.length > w && fields.length > 1) {
    fields.pop();
    text = fields.join(' ');
  }
  return text.slice(0, w);
}

/** The parts of a stream the bar needs (process.stderr satisfies it). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface ProgressBarOptions {
  /** Milliseconds between redraws on a terminal (default 100); the last step always draws. */
  minIntervalMs?: number;
  /** Off a terminal: a line at least this often (default 30 s), besides every 10% of the steps. */
  logIntervalMs?: number;
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
  /** Text before the bar, e.g. "epoch 3/10". */
  label?: string;
}

/**
 * Tracks one epoch: call update() after each step with the cumulative image count. Rates and the
 * ETA are measured from the first update on, so the first step's warm-up (kernel compilation)
 * does not inflate them. On a terminal the line redraws in place; elsewhere (a log, CI) a full
 * line is printed every 10% of the steps or every 30 s. done() ends the line.
 */
export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly minIntervalMs: number;
  private readonly logIntervalMs: number;
  private readonly now: () => number;
  private readonly label: string;
  private first: { t: number; step: number; images: number } | null = null;
  private lastDraw = -Infinity;
  private lastLength = 0;
  private nextLogStep = 0;

  constructor(stream: ProgressStream = process.stderr, options: ProgressBarOptions = {}) {
    this.stream = stream;
    this.tty = stream.isTTY === true;
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.logIntervalMs = options.logIntervalMs ?? 30_000;
    this.now = options.now ?? (() => performance.now());
    this.label = options.label ? `${options.label} ` : '';
  }

  update({ step, total, loss, images }: { step: number; total: number; loss?: number; images?: number }): void {
    const t = this.now();
    if (this.first === null) this.first = { t, step, images: images ?? 0 };
    const tenth = Math.max(1, Math.ceil(total / 10));
    if (this.tty) {
      if (step < total && t - this.lastDraw < this.minIntervalMs) return;
    } else {
      if (this.nextLogStep === 0) this.nextLogStep = (Math.floor(step / tenth) + 1) * tenth;
      const due = step >= total || step >= this.nextLogStep || t - this.lastDraw >= this.logIntervalMs;
      if (!due) return;
      while (this.nextLogStep <= step) this.nextLogStep += tenth;
    }
    this.lastDraw = t;
    const seconds = (t - this.first.t) / 1000;
    const steps = step - this.first.step;
    const imgPerSec = images !== undefined && steps > 0 && seconds > 0 ? (images - this.first.images) / seconds : undefined;
    const etaSeconds = steps > 0 && seconds > 0 ? (seconds / steps) * (total - step) : step >= total ? 0 : undefined;
    if (!this.tty) {
      this.stream.write(`${this.label}${formatProgress({ step, total, loss, imgPerSec, etaSeconds, width: 100 - this.label.length })}\n`);
      return;
    }
    // One column short of the terminal width: writing into the last column wraps on some terminals.
    const width = (this.stream.columns ?? 80) - 1;
    this.draw(this.label + formatProgress({ step, total, loss, imgPerSec, etaSeconds, width: width - this.label.length }));
  }

  /** Replaces the bar with a status (e.g. "evaluating"); off a terminal it is its own line. */
  status(text: string): void {
    if (!this.tty) {
      this.stream.write(`${this.label}${text}\n`);
      return;
    }
    this.draw((this.label + text).slice(0, (this.stream.columns ?? 80) - 1));
  }

  done(): void {
    if (!this.tty || this.lastLength === 0) return;
    this.stream.write('\n');
    this.lastLength = 0;
  }

  private draw(line: string): void {
    // Pad with spaces to erase the tail of a longer previous line.
    this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.lastLength - line.length))}`);
    this.lastLength = line.length;
  }
}

/** The training loop's reporter (see TrainingReporter in src/train/loop.ts): one bar per epoch. */
export class ProgressReporter {
  private bar: ProgressBar | null = null;

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: ProgressBarOptions = {},
  ) {}

  epochStart({ epoch, epochs }: { epoch: number; epochs: number }): void {
    this.bar = new ProgressBar(this.stream, { ...this.options, label: `epoch ${epoch}/${epochs}` });
  }

  step(info: { step: number; total: number; loss: number; images: number }): void {
    this.bar?.update(info);
  }

  evaluating({ images }: { images: number }): void {
    this.bar?.status(`evaluating on ${images} test images`);
  }

  epochEnd(): void {
    this.bar?.done();
    this.bar = null;
  }
}
