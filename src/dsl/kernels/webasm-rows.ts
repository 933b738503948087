// webasm's row kernels as project-owned WebAssembly SIMD: layerNorm forward and gradient, sums
// over an axis (bias gradients), softmax over the last axis and its gradient. Each row is
// folded four lanes at a time; a row whose length is not a multiple of 4 ends with one vector
// whose lanes past the row are masked out of the fold, and writes may run one partial vector past
// a row (the next row, computed later, overwrites it; the heap leaves room after the last).
import type { BackendLowering } from '../kernel-table.js';
import type { Tensor } from '../tensor.js';
import { expNegative } from '../arith.js';
import { FunctionBody, f32, i32, v128 } from './wasm-emit.js';
import { Simd, type SimdValue } from './wasm-simd.js';
import { runKernel } from './wasm-run.js';
import { webasmSoftmax as gpujsSoftmax } from './webasm-softmax.js';
import { portableLowering } from '../primitive.js';

/** Emits row loops into one function whose i32 parameters are byte pointers. */
class Rows {
  readonly f: FunctionBody;
  readonly s: Simd;
  constructor(params: number) {
    this.f = new FunctionBody(params);
    this.s = new Simd(this.f);
  }

  /** Fresh walking copies of pointer locals. */
  private walkers(pointers: readonly number[]): number[] {
    return pointers.map((p) => {
      const w = this.f.local(i32);
      this.f.get(p).set(w);
      return w;
    });
  }

  /**
   * Folds `value` of the row's vectors (loaded from each pointer) with `combine` (sum or max), the
   * tail's lanes past `length` replaced by `identity`; returns the four lanes' fold as an f32 local.
   */
  fold(pointers: readonly number[], length: number, value: (v: SimdValue[]) => SimdValue, kind: 'sum' | 'max'): number {
    const { f, s } = this;
    const identity = kind === 'sum' ? 0 : -3.4e38;
    const combine = kind === 'sum' ? s.add : s.max;
    const walk = this.walkers(pointers);
    const acc = f.local(v128);
    f.v128Const([identity, identity, identity, identity]).set(acc);
    const step = (tail: number) => {
      let v = value(walk.map((w) => s.load(w)));
      if (tail) {
        const keep = [0, 1, 2, 3].map((lane) => (lane < tail ? -1 : 0)) as [number, number, number, number];
        v = s.blend(v, s.const(identity), keep);
      }
      f.get(combine(acc, v)).set(acc);
      for (const w of walk) f.bump(w, 16);
    };
    f.repeat(Math.floor(length / 4), () => step(0));
    if (length % 4) step(length % 4);
    const out = f.local(f32);
    f.get(acc).f32x4ExtractLane(0);
    for (let lane = 1; lane < 4; lane++) {
      f.get(acc).f32x4ExtractLane(lane);
      if (kind === 'sum') f.f32Add();
      else f.f32Max();
    }
    f.set(out);
    return out;
  }

  /** Stores `value` of each row vector (loaded from `pointers`) at `out`, for ceil(length / 4) vectors. */
  write(out: number, pointers: readonly number[], length: number, value: (v: SimdValue[]) => SimdValue): void {
    const { f, s } = this;
    const [o, ...walk] = this.walkers([out, ...pointers]);
    f.repeat(Math.ceil(length / 4), () => {
      const v = value(walk.map((w) => s.load(w)));
      f.get(o).get(v).v128Store();
      for (const w of [o, ...walk]) f.bump(w, 16);
    });
  }

  /** The f32 that `push` leaves on the stack, splatted into a vector local. */
  splat(push: () => void): SimdValue {
    push();
    this.f.f32x4Splat();
    const v = this.f.local(v128);
    this.f.set(v);
    return v;
  }

  /** Row mean and reciprocal standard deviation of `length` floats at pointer `x`, as vectors. */
  stats(x: number, length: number, eps: number): [SimdValue, SimdValue] {
    const { f, s } = this;
    const total = this.fold([x], length, ([v]) => v, 'sum');
    const mean = this.splat(() => f.get(total).f32Const(length).f32Div());
    const squares = this.fold([x], length, ([v]) => s.mul(s.sub(v, mean), s.sub(v, mean)), 'sum');
    const rstd = this.splat(() => f.f32Const(1).get(squares).f32Const(length).f32Div().f32Const(eps).f32Add().f32Sqrt().f32Div());
    return [mean, rstd];
  }
}

interface NormAttrs {
  readonly eps: number;
  readonly length: number;
}

/** (x - mean) * rstd per row: run(out, x). */
export const webasmLayerNormalize: BackendLowering<'webasm', NormAttrs> = (out, _in, { eps, length }) => {
  const rows = out.size / length;
  const emit = () => {
    const r = new Rows(2);
    r.f.repeat(rows, () => {
      const [mean, rstd] = r.stats(1, length, eps);
      r.write(0, [1], length, ([v]) => r.s.mul(r.s.sub(v, mean), rstd));
      r.f.bump(0, length * 4).bump(1, length * 4);
    });
    return r.f;
  };
  return (backend, args) => runKernel(`layerNormalize ${rows} ${length} ${eps}`, emit, backend, args, out.size);
};

/** dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) per row: run(out, x, g). */
export const webasmLayerNormGrad: BackendLowering<'webasm', NormAttrs> = (out, _in, { eps, length }) => {
  const rows = out.size / length;
  const emit = () => {
    const r = new Rows(3);
    const { f, s } = r;
    f.repeat(rows, () => {
      const [mean, rstd] = r.stats(1, length, eps);
      const a = r.fold([2], length, ([g]) => g, 'sum');
      const b = r.fold([1, 2], length, ([x, g]) => s.mul(g, s.mul(s.sub(x, mean), rstd)), 'sum');
      const meanG = r.splat(() => f.get(a).f32Const(length).f32Div());
      const meanGx = r.splat(() => f.get(b).f32Const(length).f32Div());
      r.write(0, [1, 2], length, ([x, g]) => s.mul(rstd, s.sub(s.sub(g, meanG), s.mul(s.mul(s.sub(x, mean), rstd), meanGx))));
      f.bump(0, length * 4).bump(1, length * 4).bump(2, length * 4);
    });
    return f;
  };
  return (backend, args) => runKernel(`layerNormGrad ${rows} ${length} ${eps}`, emit, backend, args, out.size);
};

interface ReduceAttrs {
  readonly axis: number;
  readonly scale: number;
}

/** x viewed as [outer, length, inner]. */
function around(x: Tensor, axis: number) {
  const count = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);
  // each a product of dims, not a quotient of sizes: an axis of 0 leaves the others' counts
  return { outer: count(x.shape.slice(0, axis)), length: x.shape[axis], inner: count(x.shape.slice(axis + 1)) };
}

/** Sum over `axis` times `scale`: run(out, x). Rows (inner 1) fold; otherwise output rows accumulate. */
export const webasmSum: BackendLowering<'webasm', ReduceAttrs> = (out, [x], { axis, scale }) => {
  const { outer, length, inner } = around(x, axis);
  const emit = () => {
    const r = new Rows(2);
    const { f, s } = r;
    f.repeat(outer, () => {
      if (inner === 1) {
        const total = r.fold([1], length, ([v]) => v, 'sum');
        f.get(0).get(total).f32Const(scale).f32Mul().f32Store();
        f.bump(0, 4).bump(1, length * 4);
        return;
      }
      r.write(0, [], inner, () => s.const(0));
      f.repeat(length, () => {
        r.write(0, [0, 1], inner, ([o, v]) => s.add(o, v));
        f.bump(1, inner * 4);
      });
      if (scale !== 1) r.write(0, [0], inner, ([o]) => s.mul(o, s.const(scale)));
      f.bump(0, inner * 4);
    });
    return f;
  };
  return (backend, args) => runKernel(`sum ${outer} ${length} ${inner} ${scale}`, emit, backend, args, out.size);
};

/** softmax over the last axis: run(out, x), e^(v - max) by the exp-free series (arith.ts); other axes: the gpu.js kernel. */
export const webasmSoftmax: BackendLowering<'webasm', number> = (out, inputs, axis) => {
  const [x] = inputs;
  const { outer, length, inner } = around(x, axis);
  if (inner !== 1) return gpujsSoftmax(out, inputs, axis);
  const emit = () => {
    const r = new Rows(2);
    const { f, s } = r;
    f.repeat(outer, () => {
      const top = r.fold([1], length, ([v]) => v, 'max');
      const max = r.splat(() => f.get(top));
      r.write(0, [1], length, ([v]) => expNegative(s, s.sub(max, v)));
      const total = r.fold([0], length, ([e]) => e, 'sum');
      const scale = r.splat(() => f.f32Const(1).get(total).f32Div());
      r.write(0, [0], length, ([e]) => s.mul(e, scale));
      f.bump(0, length * 4).bump(1, length * 4);
    });
    return f;
  };
  return (backend, args) => runKernel(`softmax ${outer} ${length}`, emit, backend, args, out.size);
};

/** softmax's gradient over the last axis, y * (g - sum(g * y)): run(out, y, g); other axes: the gpu.js kernels. */
export const webasmSoftmaxGrad: BackendLowering<'webasm', number> = (out, inputs, axis) => {
  const { outer, length, inner } = around(inputs[0], axis);
  if (inner !== 1) return portableLowering(out);
  const emit = () => {
    const r = new Rows(3);
    const { f, s } = r;
    f.repeat(outer, () => {
      const total = r.fold([1, 2], length, ([y, g]) => s.mul(g, y), 'sum');
      const gy = r.splat(() => f.get(total));
      r.write(0, [1, 2], length, ([y, g]) => s.mul(y, s.sub(g, gy)));
      f.bump(0, length * 4).bump(1, length * 4).bump(2, length * 4);
    });
    return f;
  };
  return (backend, args) => runKernel(`softmaxGrad ${outer} ${length}`, emit, backend, args, out.size);
};
