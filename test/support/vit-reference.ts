// A float64 ViT written straight from the recipe with plain loops, over state_dict arrays.
export interface RefConfig {
  imageSize: number;
  patchSize: number;
  channels: number;
  embedDim: number;
  heads: number;
  mlpDim: number;
  layers: number;
  classes: number;
  pool?: 'token' | 'mean';
}

type Weights = Record<string, Float64Array | Float32Array>;

function linear(x: number[][], w: ArrayLike<number>, b: ArrayLike<number>, out: number): number[][] {
  return x.map((row) =>
    Array.from({ length: out }, (_, o) => {
      let s = b[o];
      for (let i = 0; i < row.length; i++) s += row[i] * w[o * row.length + i];
      return s;
    }),
  );
}

function layerNorm(x: number[][], w: ArrayLike<number>, b: ArrayLike<number>, eps: number): number[][] {
  return x.map((row) => {
    const m = row.reduce((s, v) => s + v, 0) / row.length;
    const v = row.reduce((s, y) => s + (y - m) ** 2, 0) / row.length;
    return row.map((y, k) => ((y - m) / Math.sqrt(v + eps)) * w[k] + b[k]);
  });
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.28-quality is not enough for a reference; use a series for |x|<3 and asymptotics beyond
  const sign = Math.sign(x);
  const a = Math.abs(x);
  if (a > 5) return sign;
  let term = a;
  let sum = a;
  for (let n = 1; n < 200; n++) {
    term *= (-a * a) / n;
    sum += term / (2 * n + 1);
    if (Math.abs(term) < 1e-17) break;
  }
  return (sign * 2 * sum) / Math.sqrt(Math.PI);
}

/** Logits [B][classes] for images [B, C, H, W] (flat, normalized). */
/** Logits per image; `attention`, when given, receives each layer's softmax weights, flat [B, H, T, T]. */
export function vitReference(cfg: RefConfig, p: Weights, images: ArrayLike<number>, batch: number, attention?: number[][]): number[][] {
  const { imageSize: S, patchSize: P, channels: C, embedDim: E, heads: H } = cfg;
  const n = S / P;
  const out: number[][] = [];
  for (let bi = 0; bi < batch; bi++) {
    const img = (c: number, y: number, x: number) => images[((bi * C + c) * S + y) * S + x];
    const patches: number[][] = [];
    for (let py = 0; py < n; py++)
      for (let px = 0; px < n; px++) {
        const v: number[] = [];
        for (let y = 0; y < P; y++) for (let x = 0; x < P; x++) for (let c = 0; c < C; c++) v.push(img(c, py * P + y, px * P + x));
        patches.push(v);
      }
    let h = layerNorm(linear(patches, p['seq_project.0.weight'], p['seq_project.0.bias'], E), p['seq_project.1.weight'], p['seq_project.1.bias'], 1e-5);
    h = [Array.from(p['class_token']), ...h].map((row, t) => row.map((v, k) => v + p['pos_embedding'][t * E + k]));
    const T = h.length;
    const D = E / H;
    for (let l = 0; l < cfg.layers; l++) {
      const q = `encoder.${l}.`;
      const a = layerNorm(h, p[`${q}sublayer_1.ln.weight`], p[`${q}sublayer_1.ln.bias`], 1e-5);
      const qkv = linear(a, p[`${q}self_atten.in_proj_weight`], p[`${q}self_atten.in_proj_bias`], 3 * E);
      const ctx = Array.from({ length: T }, () => new Array<number>(E).fill(0));
      for (let hd = 0; hd < H; hd++) {
        for (let i = 0; i < T; i++) {
          const scores = Array.from({ length: T }, (_, j) => {
            let s = 0;
            for (let d = 0; d < D; d++) s += qkv[i][hd * D + d] * qkv[j][E + hd * D + d];
            return s / Math.sqrt(D);
          });
          const m = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - m));
          const z = e.reduce((s, v) => s + v, 0);
          if (attention) (attention[l] ??= []).push(...e.map((v) => v / z));
          for (let j = 0; j < T; j++) for (let d = 0; d < D; d++) ctx[i][hd * D + d] += (e[j] / z) * qkv[j][2 * E + hd * D + d];
        }
      }
      const att = linear(ctx, p[`${q}self_atten.out_proj.weight`], p[`${q}self_atten.out_proj.bias`], E);
      h = h.map((row, t) => row.map((v, k) => v + att[t][k]));
      const m2 = layerNorm(h, p[`${q}sublayer_2.ln.weight`], p[`${q}sublayer_2.ln.bias`], 1e-5);
      const hid = linear(m2, p[`${q}mlp.0.weight`], p[`${q}mlp.0.bias`], cfg.mlpDim).map((r) => r.map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2))));
      const mo = linear(hid, p[`${q}mlp.3.weight`], p[`${q}mlp.3.bias`], E);
      h = h.map((row, t) => row.map((v, k) => v + mo[t][k]));
    }
    const normed = layerNorm(cfg.pool === 'mean' ? h : [h[0]], p['ln.weight'], p['ln.bias'], 1e-6);
    const z = [Array.from({ length: E }, (_, k) => normed.reduce((s, row) => s + row[k], 0) / normed.length)];
    out.push(linear(z, p['classifier.weight'], p['classifier.bias'], cfg.classes)[0]);
  }
  return out;
}
