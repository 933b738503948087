// The confusion matrix of an evaluation (rows: true class, columns: predicted class), its per-class
// accuracy (recall), and the matrix as a self-contained SVG (cells shaded by the row's fraction).
import { esc } from './plot.js';

export class ConfusionMatrix {
  /** counts[t * classes + p]: images of true class t predicted as p */
  readonly counts: Float64Array;
  constructor(readonly classes: number) {
    this.counts = new Float64Array(classes * classes);
  }

  add(labels: ArrayLike<number>, predicted: ArrayLike<number>): void {
    if (labels.length !== predicted.length) throw new Error(`ConfusionMatrix.add: ${labels.length} labels, ${predicted.length} predictions`);
    for (let i = 0; i < labels.length; i++) {
      const t = labels[i];
      const p = predicted[i];
      if (!(t >= 0 && t < this.classes && p >= 0 && p < this.classes && Number.isInteger(t) && Number.isInteger(p))) throw new Error(`ConfusionMatrix.add: class out of range (label ${t}, predicted ${p}; ${this.classes} classes)`);
      this.counts[t * this.classes + p]++;
    }
  }

  /** Images of class t. */
  total(t: number): number {
    let n = 0;
    for (let p = 0; p < this.classes; p++) n += this.counts[t * this.classes + p];
    return n;
  }

  /** Fraction of class t's images predicted as t (NaN when there are none). */
  accuracy(t: number): number {
    return this.counts[t * this.classes + t] / this.total(t);
  }
}

const CELL = 44;
const LABEL_W = 96;
const TOP = 118;

/** The matrix as an SVG: true class down, predicted class across, each cell its count, shaded by the row fraction. */
export function renderConfusionSvg(m: ConfusionMatrix, labels: readonly string[], title = 'Confusion matrix'): string {
  const n = m.classes;
  const width = LABEL_W + n * CELL + 80;
  const height = TOP + n * CELL + 30;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<text x="${LABEL_W + (n * CELL) / 2}" y="36" text-anchor="middle">predicted</text>`,
    `<text x="12" y="${TOP + (n * CELL) / 2}" text-anchor="middle" transform="rotate(-90 12 ${TOP + (n * CELL) / 2})">true</text>`,
  ];
  for (let p = 0; p < n; p++) {
    const x = LABEL_W + p * CELL + CELL / 2;
    out.push(`<text x="${x}" y="${TOP - 6}" transform="rotate(-60 ${x} ${TOP - 6})">${esc(labels[p])}</text>`);
  }
  out.push(`<text x="${LABEL_W + n * CELL + 8}" y="${TOP - 6}">accuracy</text>`);
  for (let t = 0; t < n; t++) {
    const y = TOP + t * CELL;
    const total = m.total(t);
    out.push(`<text x="${LABEL_W - 6}" y="${y + CELL / 2 + 4}" text-anchor="end">${esc(labels[t])}</text>`);
    for (let p = 0; p < n; p++) {
      const count = m.counts[t * n + p];
      const frac = total ? count / total : 0;
      const shade = Math.round(255 * (1 - frac));
      const fill = p === t ? `rgb(${shade},${Math.round(255 - 0.4 * (255 - shade))},${shade})` : `rgb(255,${shade},${shade})`;
      out.push(`<rect x="${LABEL_W + p * CELL}" y="${y}" width="${CELL}" height="${CELL}" fill="${fill}" stroke="#cccccc"/>`);
      out.push(`<text x="${LABEL_W + p * CELL + CELL / 2}" y="${y + CELL / 2 + 4}" text-anchor="middle" fill="${frac > 0.6 ? '#ffffff' : '#000000'}">${count}</text>`);
    }
    const acc = m.accuracy(t);
    out.push(`<text x="${LABEL_W + n * CELL + 8}" y="${y + CELL / 2 + 4}">${Number.isNaN(acc) ? '-' : `${(acc * 100).toFixed(1)}%`}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
