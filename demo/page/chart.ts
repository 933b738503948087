// A small line chart on a canvas: named series of (x, y) points, axes scaled to the data.
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export function drawChart(canvas: HTMLCanvasElement, series: readonly Series[], yLabel: (y: number) => string): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const pad = { left: 48, right: 12, top: 12, bottom: 24 };
  ctx.clearRect(0, 0, width, height);
  const all = series.flatMap((s) => s.points);
  canvas.dataset.points = String(all.length);
  if (all.length === 0) return;
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMin = Math.min(...all.map((p) => p[1]));
  const yMax = Math.max(...all.map((p) => p[1]));
  const ySpan = yMax - yMin || 1;
  const px = (x: number) => pad.left + (x / xMax) * (width - pad.left - pad.right);
  const py = (y: number) => height - pad.bottom - ((y - yMin) / ySpan) * (height - pad.top - pad.bottom);
  ctx.strokeStyle = '#d0d7de';
  ctx.fillStyle = '#57606a';
  ctx.font = '11px system-ui, sans-serif';
  for (let k = 0; k <= 4; k++) {
    const y = yMin + (ySpan * k) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.left, py(y));
    ctx.lineTo(width - pad.right, py(y));
    ctx.stroke();
    ctx.fillText(yLabel(y), 4, py(y) + 4);
  }
  ctx.fillText(`step ${xMax}`, width - pad.right - 60, height - 6);
  series.forEach((s, k) => {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y))));
    ctx.stroke();
    if (s.points.length === 1) ctx.fillRect(px(s.points[0][0]) - 2, py(s.points[0][1]) - 2, 4, 4);
    ctx.fillStyle = s.color;
    ctx.fillText(s.name, pad.left + 8 + k * 90, pad.top + 10);
  });
}
