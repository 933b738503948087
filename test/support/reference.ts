// Float64 reference implementations over flat row-major arrays, and numeric checks.
import type { ExecutionContext } from 'ava';

export interface Ref {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export const sizeOf = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = s;
    s *= shape[k];
  }
  return out;
}

/** Deterministic pseudo-random values in [lo, hi). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  let a = seed >>> 0;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[k] = lo + ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo));
  }
  return out;
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, k) => {
    const x = a[a.length - n + k] ?? 1;
    const y = b[b.length - n + k] ?? 1;
    return x === 1 ? y : x;
  });
}

/** Value of an input at output coordinates under trailing-aligned broadcasting. */
function broadcastRead(x: Ref, outShape: readonly number[], coords: number[]): number {
  const off = outShape.length - x.shape.length;
  const st = strides(x.shape);
  let idx = 0;
  x.shape.forEach((d, k) => (idx += (d === 1 ? 0 : coords[k + off]) * st[k]));
  return x.data[idx];
}

export function forEachIndex(shape: readonly number[], fn: (coords: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const st = strides(shape);
  for (let i = 0; i < n; i++) fn(shape.map((_, k) => Math.floor(i / st[k]) % shape[k]), i);
}

export function binaryRef(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref {
  const shape = broadcastShape(a.shape, b.shape);
  const data = new Float64Array(sizeOf(shape));
  forEachIndex(shape, (c, i) => (data[i] = f(broadcastRead(a, shape, c), broadcastRead(b, shape, c))));
  return { shape, data };
}

export function unaryRef(a: Ref, f: (x: number) => number): Ref {
  return { shape: a.shape, data: a.data.map(f) };
}

export function matmulRef(a: Ref, b: Ref, ta = false, tb = false): Ref {
  const ar = a.shape.length;
  const br = b.shape.length;
  const [m, k] = ta ? [a.shape[ar - 1], a.shape[ar - 2]] : [a.shape[ar - 2], a.shape[ar - 1]];
  const n = tb ? b.shape[br - 2] : b.shape[br - 1];
  const batch = sizeOf(a.shape.slice(0, ar - 2));
  const batchedB = br > 2;
  const data = new Float64Array(batch * m * n);
  for (let bt = 0; bt < batch; bt++)
    for (let r = 0; r < m; r++)
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let l = 0; l < k; l++) {
          const av = a.data[bt * m * k + (ta ? l * m + r : r * k + l)];
          const bv = b.data[(batchedB ? bt * k * n : 0) + (tb ? c * k + l : l * n + c)];
          s += av * bv;
        }
        data[bt * m * n + r * n + c] = s;
      }
  return { shape: [...a.shape.slice(0, ar - 2), m, n], data };
}

/** Applies `f` to every 1-D fiber along `axis`; f returns the fiber's new values (same length or 1). */
export function alongAxis(x: Ref, axis: number, f: (fiber: number[]) => number[], keepDims = true): Ref {
  const len = x.shape[axis];
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outer = sizeOf(x.shape.slice(0, axis));
  const outLen = f(new Array(len).fill(0)).length;
  const data = new Float64Array(outer * outLen * inner);
  for (let o = 0; o < outer; o++)
    for (let n = 0; n < inner; n++) {
      const fiber = Array.from({ length: len }, (_, l) => x.data[o * len * inner + l * inner + n]);
      f(fiber).forEach((v, l) => (data[o * outLen * inner + l * inner + n] = v));
    }
  const shape = x.shape.map((d, k) => (k === axis ? outLen : d));
  return { shape: keepDims || outLen !== 1 ? shape : shape.filter((_, k) => k !== axis), data };
}

export function permuteRef(x: Ref, axes: readonly number[]): Ref {
  const shape = axes.map((a) => x.shape[a]);
  const st = strides(x.shape);
  const data = new Float64Array(x.data.length);
  forEachIndex(shape, (c, i) => (data[i] = x.data[c.reduce((s, v, k) => s + v * st[axes[k]], 0)]));
  return { shape, data };
}

/** Asserts |ours - ref| <= atol + rtol |ref| elementwise, reporting the worst element. */
export function assertClose(t: ExecutionContext, ours: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  t.is(ours.length, ref.length, `${what}: length`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < ref.length; i++) {
    const excess = Math.abs(ours[i] - ref[i]) - (atol + rtol * Math.abs(ref[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) t.fail(`${what}: element ${worst} is ${ours[worst]}, reference ${ref[worst]}`);
  else t.pass(what);
}

/** Central finite differences of a float64 scalar function at x. */
export function finiteDifferences(x: Float64Array, f: (x: Float64Array) => number, h = 1e-4): Float64Array {
  const g = new Float64Array(x.length);
  const probe = Float64Array.from(x);
  for (let j = 0; j < x.length; j++) {
    probe[j] = x[j] + h;
    const up = f(probe);
    probe[j] = x[j] - h;
    const down = f(probe);
    probe[j] = x[j];
    g[j] = (up - down) / (2 * h);
  }
  return g;
}

/** erf to ~1e-7 (Numerical Recipes' erfc), for float64 references of GELU. */
export const erf = (x: number) => {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    1 -
    t *
      Math.exp(
        -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
  return x >= 0 ? y : -y;
};

/**
 * torch.optim.Adam (L2 weight decay) or AdamW (`decoupled`) in float64: the parameters start as
 * `draw(1)` and step s's gradients are `draw(s + 1)`.
 */
export function torchAdam(draw: (seed: number) => ArrayLike<number>[], decoupled: boolean, wd: number, steps: number, lr: number, [b1, b2, eps] = [0.9, 0.999, 1e-8]): number[][] {
  const p = draw(1).map((a) => Array.from(a));
  const m = p.map((a) => a.map(() => 0));
  const v = p.map((a) => a.map(() => 0));
  for (let s = 1; s <= steps; s++) {
    Array.from(draw(s + 1), (g) => Array.from(g)).forEach((g, k) =>
      g.forEach((gi, i) => {
        const gw = decoupled ? gi : gi + wd * p[k][i];
        m[k][i] = b1 * m[k][i] + (1 - b1) * gw;
        v[k][i] = b2 * v[k][i] + (1 - b2) * gw * gw;
        const step = m[k][i] / (1 - b1 ** s) / (Math.sqrt(v[k][i] / (1 - b2 ** s)) + eps);
        p[k][i] -= lr * (step + (decoupled ? wd * p[k][i] : 0));
      }),
    );
  }
  return p;
}
