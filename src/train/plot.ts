// Training curves as a self-contained SVG (no dependencies, viewable in any browser), re-rendered
// from the metrics after every epoch: left panel loss (train & val), right panel accuracy.
// Non-finite values (a diverged run) are skipped so the output never contains NaN.
import type { MetricsRecord } from './metrics.js';

export interface CurvesOptions {
  /** Shown above the panels, e.g. the run name. */
  title?: string;
}

const WIDTH = 960;
const PANEL_H = 360;
const COLORS = { train: '#1f77b4', val: '#d62728' } as const;
const M = { left: 64, right: 20, top: 36, bottom: 48 }; // panel margins around the plot area

export function renderCurvesSvg(records: readonly MetricsRecord[], options: CurvesOptions = {}): string {
  const titleH = options.title ? 28 : 0;
  const height = PANEL_H + titleH;
  const sorted = [...records].sort((a, b) => a.epoch - b.epoch);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
  ];
  if (options.title) out.push(`<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15">${esc(options.title)}</text>`);
  const half = WIDTH / 2;
  out.push(
    panel(sorted, { x: 0, y: titleH, w: half, h: PANEL_H }, 'Loss', 'loss', (r) => r.trainLoss, (r) => r.valLoss),
    panel(sorted, { x: half, y: titleH, w: half, h: PANEL_H }, 'Accuracy', 'accuracy', (r) => r.trainAcc, (r) => r.valAcc),
    '</svg>',
  );
  return out.join('\n') + '\n';
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function panel(
  records: readonly MetricsRecord[],
  box: Box,
  title: string,
  yLabel: string,
  train: (r: MetricsRecord) => number,
  val: (r: MetricsRecord) => number,
): string {
  const id = yLabel;
  const series = [
    { name: 'train' as const, pts: points(records, train) },
    { name: 'val' as const, pts: points(records, val) },
  ];
  const all = series.flatMap((s) => s.pts);

  // x: the epoch range exactly (a single epoch gets one epoch of room on each side).
  let [x0, x1] = all.length ? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))] : [0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  const xTicks = niceTicks(x0, x1, 6, true).filter((t) => t >= x0 && t <= x1);
  // y: extended to whole tick steps so the curves never touch the frame's edges unexpectedly.
  let [y0, y1] = all.length ? [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))] : [0, 1];
  if (y0 === y1) [y0, y1] = [y0 - (Math.abs(y0) * 0.1 || 1), y1 + (Math.abs(y1) * 0.1 || 1)];
  const yTicks = niceTicks(y0, y1, 5, false);
  y0 = Math.min(y0, yTicks[0]);
  y1 = Math.max(y1, yTicks[yTicks.length - 1]);

  const px = { l: box.x + M.left, r: box.x + box.w - M.right, t: box.y + M.top, b: box.y + box.h - M.bottom };
  const sx = (v: number) => px.l + ((v - x0) / (x1 - x0)) * (px.r - px.l);
  const sy = (v: number) => px.b - ((v - y0) / (y1 - y0)) * (px.b - px.t);
  const out: string[] = [`<g data-panel="${id}">`];
  out.push(`<text x="${f(box.x + box.w / 2)}" y="${f(box.y + 22)}" text-anchor="middle" font-size="14" font-weight="bold">${title}</text>`);

  // Grid lines and tick labels.
  const xDigits = decimals(xTicks);
  for (const t of xTicks) {
    const x = f(sx(t));
    out.push(`<line x1="${x}" y1="${f(px.t)}" x2="${x}" y2="${f(px.b)}" stroke="#e6e6e6"/>`);
    out.push(`<line x1="${x}" y1="${f(px.b)}" x2="${x}" y2="${f(px.b + 5)}" stroke="#333333"/>`);
    out.push(`<text x="${x}" y="${f(px.b + 18)}" text-anchor="middle">${t.toFixed(xDigits)}</text>`);
  }
  const yDigits = decimals(yTicks);
  for (const t of yTicks) {
    const y = f(sy(t));
    out.push(`<line x1="${f(px.l)}" y1="${y}" x2="${f(px.r)}" y2="${y}" stroke="#e6e6e6"/>`);
    out.push(`<line x1="${f(px.l - 5)}" y1="${y}" x2="${f(px.l)}" y2="${y}" stroke="#333333"/>`);
    out.push(`<text x="${f(px.l - 8)}" y="${y}" text-anchor="end" dominant-baseline="middle">${t.toFixed(yDigits)}</text>`);
  }
  // Frame (axes) and axis titles.
  out.push(`<rect x="${f(px.l)}" y="${f(px.t)}" width="${f(px.r - px.l)}" height="${f(px.b - px.t)}" fill="none" stroke="#333333"/>`);
  out.push(`<text x="${f((px.l + px.r) / 2)}" y="${f(px.b + 38)}" text-anchor="middle">epoch</text>`);
  const ly = f((px.t + px.b) / 2);
  out.push(`<text x="${f(box.x + 16)}" y="${ly}" text-anchor="middle" transform="rotate(-90 ${f(box.x + 16)} ${ly})">${yLabel}</text>`);

  // Curves; a series with a single point also gets a marker, since a 1-point line is invisible.
  for (const s of series) {
    if (s.pts.length === 0) continue;
    const pts = s.pts.map(([x, y]) => `${f(sx(x))},${f(sy(y))}`).join(' ');
    out.push(`<polyline data-series="${id}-${s.name}" fill="none" stroke="${COLORS[s.name]}" stroke-width="1.8" stroke-linejoin="round" points="${pts}"/>`);
    if (s.pts.length === 1) out.push(`<circle cx="${f(sx(s.pts[0][0]))}" cy="${f(sy(s.pts[0][1]))}" r="3" fill="${COLORS[s.name]}"/>`);
  }
  if (all.length === 0) out.push(`<text x="${f((px.l + px.r) / 2)}" y="${f((px.t + px.b) / 2)}" text-anchor="middle" fill="#888888">no data yet</text>`);

  // Legend, top right inside the plot area.
  const lx = px.r - 70;
  series.forEach((s, i) => {
    const y = px.t + 14 + i * 16;
    out.push(`<line x1="${f(lx)}" y1="${f(y)}" x2="${f(lx + 18)}" y2="${f(y)}" stroke="${COLORS[s.name]}" stroke-width="2.5"/>`);
    out.push(`<text x="${f(lx + 24)}" y="${f(y)}" dominant-baseline="middle">${s.name}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

function points(records: readonly MetricsRecord[], get: (r: MetricsRecord) => number): [number, number][] {
  const pts: [number, number][] = [];
  for (const r of records) {
    const v = get(r);
    if (Number.isFinite(r.epoch) && Number.isFinite(v)) pts.push([r.epoch, v]);
  }
  return pts;
}

/** Ticks at 1, 2 or 5 times a power of ten covering [lo, hi] with about `count` intervals. */
export function niceTicks(lo: number, hi: number, count: number, integer: boolean): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The tolerance keeps float noise (0.31 - 0.3 = 0.010000000000000009) from skipping a step size.
  let step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  // Multiply (not accumulate) so ticks carry no drift like 0.30000000000000004.
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

// Enough decimals to tell adjacent ticks apart.
function decimals(ticks: readonly number[]): number {
  if (ticks.length < 2) return 0;
  const step = Math.abs(ticks[1] - ticks[0]);
  return Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
}

function f(v: number): string {
  return String(Math.round(v * 100) / 100);
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
