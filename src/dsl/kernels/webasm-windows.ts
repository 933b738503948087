// webasm's im2col and col2im as WebAssembly loops. The image is first copied into the heap with
// its padding written out (the fill value), so every window read is inside it and the loops have
// no bounds tests: for a kernel tap (channel, p, q), image b and output row oy, the OW outputs of
// a cols row read padded row oy·s + p·d at columns ox·s + q·d, a contiguous run at stride 1 (copied
// four floats at a time), else one float at a time. col2im adds the same runs into a zeroed padded
// image and copies its inside out. (A JavaScript loop over the rows took 0.7 s for a 75 MB cols.)
// Pooling reduces each window of the padded image in place: four outputs at a time at stride 1,
// and at stride 2 (two loads, their even lanes), else one at a time.
import type { Storage, WebasmBackend } from '../backend.js';
import type { BackendLowering } from '../kernel-table.js';
import type { WindowAttrs } from '../ops/conv.js';
import type { PoolAttrs } from '../ops/pool.js';
import { FunctionBody, i32, moduleBytes } from './wasm-emit.js';
import { compiledKernel, heapLayout, heapResult } from './wasm-heap.js';

/** The padded image's row length and plane size, in floats. */
function paddedSizes({ image: [, , h, w], padding }: WindowAttrs) {
  const wp = w + 2 * padding;
  return { wp, plane: (h + 2 * padding) * wp };
}

/**
 * `run(cols, image)`: every cols row in order (channel, p, q, image, oy), `row` emitting one with
 * the cols pointer at its start (to advance by OW floats) and the image pointer at its first read
 * (to leave as it was).
 */
function emitRows(a: WindowAttrs, row: (f: FunctionBody, cols: number, image: number) => void): Uint8Array {
  const f = new FunctionBody(2);
  const [cols, image] = [0, 1];
  const [b, c] = a.image;
  const { wp, plane } = paddedSizes(a);
  const { kh, kw, outH, stride, dilation } = a;
  // outermost first: [count, the image pointer's step in floats]
  const levels: Array<[number, number]> = [
    [c, plane],
    [kh, dilation * wp],
    [kw, dilation],
    [b, c * plane],
    [outH, stride * wp],
  ];
  const level = (k: number) => {
    if (k === levels.length) return row(f, cols, image);
    const [count, step] = levels[k];
    f.repeat(count, () => {
      level(k + 1);
      f.bump(image, step * 4);
    });
    f.bump(image, -step * count * 4);
  };
  level(0);
  return moduleBytes(f, 'run');
}

/** cols row = the image run: vectors at stride 1 (the last may write past the row: the next row overwrites it). */
function copyRow(a: WindowAttrs) {
  const { outW, stride } = a;
  return (f: FunctionBody, cols: number, image: number) => {
    const src = f.local(i32);
    f.get(image).set(src);
    if (stride === 1) {
      const vectors = Math.ceil(outW / 4);
      f.repeat(vectors, () => f.get(cols).get(src).v128Load().v128Store().bump(src, 16).bump(cols, 16));
      f.bump(cols, (outW - 4 * vectors) * 4);
    } else f.repeat(outW, () => f.get(cols).get(src).f32Load().f32Store().bump(src, stride * 4).bump(cols, 4));
  };
}

/** image run += cols row: whole vectors at stride 1, then the tail float by float. */
function addRow(a: WindowAttrs) {
  const { outW, stride } = a;
  return (f: FunctionBody, cols: number, image: number) => {
    const dst = f.local(i32);
    f.get(image).set(dst);
    const vectors = stride === 1 ? Math.floor(outW / 4) : 0;
    f.repeat(vectors, () => f.get(dst).get(dst).v128Load().get(cols).v128Load().f32x4Add().v128Store().bump(dst, 16).bump(cols, 16));
    f.repeat(outW - 4 * vectors, () => f.get(dst).get(dst).f32Load().get(cols).f32Load().f32Add().f32Store().bump(dst, stride * 4).bump(cols, 4));
  };
}

const keyOf = (kind: string, a: WindowAttrs) => `${kind} ${a.image} ${a.kh} ${a.kw} ${a.outH} ${a.outW} ${a.stride} ${a.padding} ${a.dilation}`;

/** Copies image [B·C rows of H × W] into the heap at float `to` as padded planes (the border already written). */
function copyInside(heap: Float32Array, to: number, src: Float32Array, a: WindowAttrs): void {
  const [b, c, h, w] = a.image;
  const { wp, plane } = paddedSizes(a);
  if (a.padding === 0) return heap.set(src, to);
  for (let n = 0; n < b * c; n++) {
    for (let y = 0; y < h; y++) {
      const from = (n * h + y) * w;
      heap.set(src.subarray(from, from + w), to + n * plane + (y + a.padding) * wp + a.padding);
    }
  }
}

/** The inside of the padded planes at float `from`, into `out`. */
function copyOutside(heap: Float32Array, from: number, a: WindowAttrs, out: Float32Array): Float32Array {
  const [b, c, h, w] = a.image;
  const { wp, plane } = paddedSizes(a);
  if (a.padding === 0) return (out.set(heap.subarray(from, from + b * c * plane)), out);
  for (let n = 0; n < b * c; n++) {
    for (let y = 0; y < h; y++) {
      const at = from + n * plane + (y + a.padding) * wp + a.padding;
      out.set(heap.subarray(at, at + w), (n * h + y) * w);
    }
  }
  return out;
}

export const webasmIm2col: BackendLowering<'webasm', WindowAttrs> = (out, _inputs, a) => {
  const paddedLength = a.image[0] * a.image[1] * paddedSizes(a).plane;
  return async (backend: WebasmBackend, [xs]: readonly Storage[]) => {
    const run = await compiledKernel<(cols: number, image: number) => void>(keyOf('im2col', a), () => emitRows(a, copyRow(a)), 'run');
    const { at, heap } = heapLayout([out.size, paddedLength]);
    if (a.padding > 0) heap.fill(a.fill, at[1] / 4, at[1] / 4 + paddedLength);
    copyInside(heap, at[1] / 4, backend.values(xs), a);
    run(at[0], at[1]);
    return heapResult(backend, heap, at[0], out.size);
  };
};

export const webasmCol2im: BackendLowering<'webasm', WindowAttrs> = (out, [cols], a) => {
  const paddedLength = a.image[0] * a.image[1] * paddedSizes(a).plane;
  return async (backend: WebasmBackend, [cs]: readonly Storage[]) => {
    const run = await compiledKernel<(cols: number, image: number) => void>(keyOf('col2im', a), () => emitRows(a, addRow(a)), 'run');
    const { at, heap } = heapLayout([paddedLength, cols.size]);
    heap.fill(0, at[0] / 4, at[0] / 4 + paddedLength);
    heap.set(backend.values(cs), at[1] / 4);
    run(at[1], at[0]);
    return backend.adopt(copyOutside(heap, at[0] / 4, a, backend.allocate(out.size)));
  };
};

// floats 0, 2, 4, 6 of two vectors: the stride-2 reads of four outputs
const evenFloats = [0, 2, 4, 6].flatMap((f) => [0, 1, 2, 3].map((byte) => f * 4 + byte));

/** `run(out, image)`: each output row of each image plane from the padded planes. */
function emitPool(a: PoolAttrs): Uint8Array {
  const f = new FunctionBody(2);
  const [out, image] = [0, 1];
  const [b, c] = a.image;
  const { wp, plane } = paddedSizes(a);
  const { kh, kw, outH, outW, stride, dilation, kind } = a;
  // each tap's byte offset from the window's first read
  const taps = Array.from({ length: kh * kw }, (_, t) => (Math.floor(t / kw) * dilation * wp + (t % kw) * dilation) * 4);
  const scale = 1 / (kh * kw);
  const src = f.local(i32);
  const combine = () => (kind === 'max' ? f.f32x4Max() : f.f32x4Add());
  const combineOne = () => (kind === 'max' ? f.f32Max() : f.f32Add());
  // four outputs per vector; the last may write past the row (the next row overwrites it)
  const vectorRow = () => {
    const vectors = Math.ceil(outW / 4);
    f.repeat(vectors, () => {
      f.get(out);
      taps.forEach((at, t) => {
        f.get(src).v128Load(at);
        if (stride === 2) f.get(src).v128Load(at + 16).i8x16Shuffle(evenFloats);
        if (t > 0) combine();
      });
      if (kind === 'avg') f.v128Const([scale, scale, scale, scale]).f32x4Mul();
      f.v128Store().bump(src, 16 * stride).bump(out, 16);
    });
    f.bump(out, (outW - 4 * vectors) * 4);
  };
  const scalarRow = () =>
    f.repeat(outW, () => {
      f.get(out);
      taps.forEach((at, t) => {
        f.get(src).f32Load(at);
        if (t > 0) combineOne();
      });
      if (kind === 'avg') f.f32Const(scale).f32Mul();
      f.f32Store().bump(src, 4 * stride).bump(out, 4);
    });
  f.repeat(b * c, () => {
    f.repeat(outH, () => {
      f.get(image).set(src);
      if (stride <= 2) vectorRow();
      else scalarRow();
      f.bump(image, stride * wp * 4);
    });
    f.bump(image, (plane - outH * stride * wp) * 4);
  });
  return moduleBytes(f, 'run');
}

export const webasmPool2d: BackendLowering<'webasm', PoolAttrs> = (out, _inputs, a) => {
  const paddedLength = a.image[0] * a.image[1] * paddedSizes(a).plane;
  return async (backend: WebasmBackend, [xs]: readonly Storage[]) => {
    const run = await compiledKernel<(out: number, image: number) => void>(`${keyOf('pool2d', a)} ${a.kind}`, () => emitPool(a), 'run');
    // room for the vector reads past the last row (at stride 2: up to eight floats)
    const { at, heap } = heapLayout([out.size, paddedLength + 32]);
    if (a.padding > 0) heap.fill(a.fill, at[1] / 4, at[1] / 4 + paddedLength);
    copyInside(heap, at[1] / 4, backend.values(xs), a);
    run(at[0], at[1]);
    return heapResult(backend, heap, at[0], out.size);
  };
};
