// Attention rollout (Abnar & Zuidema 2020): how much each patch flows into the class token through
// all layers (or into the mean of all tokens, for a ViT that classifies their mean). Per layer the heads' attention is averaged, the residual path added (0.5·A + 0.5·I,
// rows renormalized), and the layers multiplied, first layer rightmost. Plain arrays: the matrices
// are tokens × tokens, tiny next to the forward pass that produced them.

/**
 * The rollout over the patches of image `b` into what the classifier reads (`pool`, as the ViT
 * config says: the class token, or the mean of all tokens), as a grid×grid map scaled to max 1.
 * `layers[l]` holds that layer's attention weights [B, heads, T, T] (row = query) as read from
 * vit.applyWithAttention; T = 1 + grid².
 */
export function attentionRollout(layers: readonly Float32Array[], b: number, heads: number, tokens: number, pool: 'token' | 'mean' = 'token'): Float32Array {
  const t = tokens;
  let rollout = identity(t);
  for (const att of layers) {
    const a = new Float64Array(t * t);
    const base = b * heads * t * t;
    for (let h = 0; h < heads; h++) for (let i = 0; i < t * t; i++) a[i] += att[base + h * t * t + i] / heads;
    for (let r = 0; r < t; r++) {
      a[r * t + r] += 1;
      let sum = 0;
      for (let c = 0; c < t; c++) sum += a[r * t + c];
      for (let c = 0; c < t; c++) a[r * t + c] /= sum;
    }
    rollout = matmul(a, rollout, t);
  }
  // the class token's row, or the mean of all rows
  const flow = new Float64Array(t);
  const rows = pool === 'mean' ? t : 1;
  for (let r = 0; r < rows; r++) for (let c = 0; c < t; c++) flow[c] += rollout[r * t + c] / rows;
  const patches = new Float32Array(t - 1);
  let max = 0;
  for (let p = 1; p < t; p++) max = Math.max(max, flow[p]);
  for (let p = 1; p < t; p++) patches[p - 1] = max > 0 ? flow[p] / max : 0;
  return patches;
}

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
    const v = a[i * n + k];
    for (let j = 0; j < n; j++) out[i * n + j] += v * b[k * n + j];
  }
  return out;
}
