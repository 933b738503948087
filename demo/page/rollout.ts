// Attention rollout (Abnar & Zuidema, 2020): average each layer's attention over heads, add the
// residual path (A + I, rows renormalized), multiply the layers together, and read the class
// token's row over the patch tokens. A few 17×17 products: computed on the host.

/** `layers`: each [heads, T, T] row-major for one image; returns the class token's weight per patch (T - 1). */
export function attentionRollout(layers: readonly Float32Array[], heads: number, tokens: number): Float64Array {
  let rollout = identity(tokens);
  for (const weights of layers) {
    const a = new Float64Array(tokens * tokens);
    for (let h = 0; h < heads; h++) for (let i = 0; i < tokens * tokens; i++) a[i] += weights[h * tokens * tokens + i] / heads;
    for (let i = 0; i < tokens; i++) {
      a[i * tokens + i] += 1;
      let row = 0;
      for (let j = 0; j < tokens; j++) row += a[i * tokens + j];
      for (let j = 0; j < tokens; j++) a[i * tokens + j] /= row;
    }
    rollout = multiply(a, rollout, tokens);
  }
  return rollout.slice(1, tokens);
}

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * n + k] * b[k * n + j];
  return out;
}
