// scatterAdd where storage is host memory (webasm, cpu): each update is added once into the
// position its index names, O(updates), where the portable kernel loops over every index for each
// output element, O(output · indices along the axis) (an embedding table's gradient: vocab ·
// width · tokens; `node build/bench/scatter-add.js` measures both).
import type { Backend } from '../backend.js';
import type { BackendLowering } from '../kernel-table.js';
import { stridesOf } from '../kernel-source.js';
import type { ScatterAttrs } from '../ops/indexing.js';

/** Strides of `shape` read at the coordinates of a broadcast shape: a dim of 1 does not move. */
const broadcastStrides = (shape: readonly number[]) => stridesOf(shape).map((s, k) => (shape[k] === 1 ? 0 : s));

export const hostScatterAdd: BackendLowering<'webasm' | 'cpu', ScatterAttrs> = (out, [indices, updates], { axis }) => {
  // the source: indices and updates broadcast (equal along the axis); each element adds once
  const shape = indices.shape.map((d, k) => (d === 1 ? updates.shape[k] : d));
  const [is, us, os] = [broadcastStrides(indices.shape), broadcastStrides(updates.shape), stridesOf(out.shape)];
  const last = shape.length - 1;
  const outer = shape.map((_, k) => k).slice(0, last);
  const [di, dv, dout] = [is[last], us[last], last === axis ? 0 : os[last]];
  return async (backend: Backend, [ix, u]) => {
    const [idx, upd] = await Promise.all([backend.read(ix), backend.read(u)]);
    const dst = new Float32Array(out.size);
    if (shape.includes(0)) return backend.fromHost(dst);
    const c = new Array<number>(shape.length).fill(0);
    for (;;) {
      let [i, v, o] = [0, 0, 0];
      for (const k of outer) (i += c[k] * is[k]), (v += c[k] * us[k]), (o += k === axis ? 0 : c[k] * os[k]);
      for (let j = 0; j < shape[last]; j++) dst[o + j * dout + idx[i + j * di] * os[axis]] += upd[v + j * dv];
      // the next coordinates of the axes before the last (an odometer)
      let k = outer.length - 1;
      while (k >= 0 && ++c[k] === shape[k]) c[k--] = 0;
      if (k < 0) return backend.fromHost(dst);
    }
  };
};
