// A live one-line progress bar for training epochs. On a terminal it redraws in place with "\r";
// when output is redirected (a log file, CI) it prints nothing, because hundreds of redraws per
// epoch would bury the per-epoch summary lines in the log.

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
  /** Milliseconds between redraws (default 100); the last step always draws. */
  minIntervalMs?: number;
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
}

/**
 * Tracks one epoch: call update() after each step with the cumulative image count; it derives
 * img/s and the ETA from the elapsed time. done() ends the line so the caller's summary starts
 * on a fresh one.
 */
export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly enabled: boolean;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private readonly start: number;
  private lastDraw = -Infinity;
  private lastLength = 0;

  constructor(stream: ProgressStream = process.stderr, options: ProgressBarOptions = {}) {
    this.stream = stream;
    this.enabled = stream.isTTY === true;
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
  }

  update({ step, total, loss, images }: { step: number; total: number; loss?: number; images?: number }): void {
    if (!this.enabled) return;
    const t = this.now();
    if (step < total && t - this.lastDraw < this.minIntervalMs) return;
    this.lastDraw = t;
    const elapsed = (t - this.start) / 1000;
    const imgPerSec = images !== undefined && elapsed > 0 ? images / elapsed : undefined;
    const etaSeconds = step > 0 && elapsed > 0 ? (elapsed / step) * (total - step) : undefined;
    // One column short of the terminal width: writing into the last column wraps on some terminals.
    const width = (this.stream.columns ?? 80) - 1;
    const line = formatProgress({ step, total, loss, imgPerSec, etaSeconds, width });
    // Pad with spaces to erase the tail of a longer previous line.
    this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.lastLength - line.length))}`);
    this.lastLength = line.length;
  }

  done(): void {
    if (!this.enabled || this.lastLength === 0) return;
    this.stream.write('\n');
    this.lastLength = 0;
  }
}
