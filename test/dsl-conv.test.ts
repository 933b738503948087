// conv2d, convTranspose2d and pooling on every backend: forward vs a float64 reference, gradients
// vs finite differences; and the runtime shape sentences (the same as the type-level ones).
import test from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { type Ref } from './support/reference.js';

interface Geo {
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
}

/** Direct float64 conv2d (cross-correlation), NCHW / OIHW. */
function conv2dRef(x: Ref, w: Ref, { stride = 1, padding = 0, dilation = 1, groups = 1 }: Geo): Ref {
  const [b, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const oh = Math.floor((h + 2 * padding - dilation * (kh - 1) - 1) / stride) + 1;
  const ow = Math.floor((wd + 2 * padding - dilation * (kw - 1) - 1) / stride) + 1;
  const out = new Float64Array(b * o * oh * ow);
  const og = o / groups;
  for (let n = 0; n < b; n++)
    for (let f = 0; f < o; f++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let acc = 0;
          const g = Math.floor(f / og);
          for (let ch = 0; ch < cg; ch++)
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const y = i * stride - padding + p * dilation;
                const z = j * stride - padding + q * dilation;
                if (y < 0 || y >= h || z < 0 || z >= wd) continue;
                acc += x.data[((n * c + g * cg + ch) * h + y) * wd + z] * w.data[((f * cg + ch) * kh + p) * kw + q];
              }
          out[((n * o + f) * oh + i) * ow + j] = acc;
        }
  return { shape: [b, o, oh, ow], data: out };
}

/** convTranspose2d as the adjoint of conv2d: scatter each input pixel times its kernel. */
function convTranspose2dRef(x: Ref, w: Ref, { stride = 1, padding = 0, dilation = 1, groups = 1 }: Geo, outputPadding = 0): Ref {
  const [b, c, h, wd] = x.shape;
  const [, og, kh, kw] = w.shape;
  const o = og * groups;
  const cg = c / groups;
  const oh = (h - 1) * stride - 2 * padding + dilation * (kh - 1) + outputPadding + 1;
  const ow = (wd - 1) * stride - 2 * padding + dilation * (kw - 1) + outputPadding + 1;
  const out = new Float64Array(b * o * oh * ow);
  for (let n = 0; n < b; n++)
    for (let ch = 0; ch < c; ch++) {
      const g = Math.floor(ch / cg);
      for (let i = 0; i < h; i++)
        for (let j = 0; j < wd; j++)
          for (let f = 0; f < og; f++)
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const y = i * stride - padding + p * dilation;
                const z = j * stride - padding + q * dilation;
                if (y < 0 || y >= oh || z < 0 || z >= ow) continue;
                out[((n * o + g * og + f) * oh + y) * ow + z] += x.data[((n * c + ch) * h + i) * wd + j] * w.data[((ch * og + f) * kh + p) * kw + q];
              }
    }
  return { shape: [b, o, oh, ow], data: out };
}

function poolRef(x: Ref, k: number, stride: number, padding: number, kind: 'max' | 'avg'): Ref {
  const [b, c, h, w] = x.shape;
  const oh = Math.floor((h + 2 * padding - k) / stride) + 1;
  const ow = Math.floor((w + 2 * padding - k) / stride) + 1;
  const out = new Float64Array(b * c * oh * ow);
  for (let n = 0; n < b * c; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let acc = kind === 'max' ? -Infinity : 0;
        for (let p = 0; p < k; p++)
          for (let q = 0; q < k; q++) {
            const y = i * stride - padding + p;
            const z = j * stride - padding + q;
            const v = y < 0 || y >= h || z < 0 || z >= w ? (kind === 'max' ? -Infinity : 0) : x.data[(n * h + y) * w + z];
            acc = kind === 'max' ? Math.max(acc, v) : acc + v / (k * k);
          }
        out[(n * oh + i) * ow + j] = acc;
      }
  return { shape: [b, c, oh, ow], data: out };
}

function adaptiveRef(x: Ref, oh: number, ow: number): Ref {
  const [b, c, h, w] = x.shape;
  const out = new Float64Array(b * c * oh * ow);
  for (let n = 0; n < b * c; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        const [y0, y1] = [Math.floor((i * h) / oh), Math.ceil(((i + 1) * h) / oh)];
        const [z0, z1] = [Math.floor((j * w) / ow), Math.ceil(((j + 1) * w) / ow)];
        let acc = 0;
        for (let y = y0; y < y1; y++) for (let z = z0; z < z1; z++) acc += x.data[(n * h + y) * w + z];
        out[(n * oh + i) * ow + j] = acc / ((y1 - y0) * (z1 - z0));
      }
  return { shape: [b, c, oh, ow], data: out };
}

const convCases: Array<[string, number[], number[], Geo]> = [
  ['3x3 padding 1', [2, 3, 5, 5], [4, 3, 3, 3], { padding: 1 }],
  ['stride 2, no padding, odd size', [1, 2, 7, 6], [3, 2, 3, 2], { stride: 2 }],
  ['dilation 2 padding 2', [1, 2, 6, 6], [2, 2, 3, 3], { padding: 2, dilation: 2 }],
  ['groups 2 stride 2 padding 1', [2, 4, 5, 5], [6, 2, 3, 3], { groups: 2, stride: 2, padding: 1 }],
  ['depthwise 1x1', [1, 3, 4, 4], [3, 1, 1, 1], { groups: 3 }],
  ['3x3 padding 1, width 13 (whole vectors and a tail)', [2, 2, 4, 13], [3, 2, 3, 3], { padding: 1 }],
];
for (const [title, xs, ws, geo] of convCases) {
  eachBackend(`conv2d ${title}`, async (t) => {
    await checkOp(t, { inputs: [{ shape: xs }, { shape: ws }], ours: (x, w) => sv.conv2d(x as Tensor, w as never, geo as never) as Tensor, ref: (x, w) => conv2dRef(x, w, geo), gradTol: 3e-3 });
  });
}

const transposedCases: Array<[string, number[], number[], Geo, number]> = [
  ['stride 2 padding 1 outputPadding 1', [1, 3, 4, 4], [3, 2, 3, 3], { stride: 2, padding: 1 }, 1],
  ['groups 2 dilation 2', [2, 4, 3, 3], [4, 1, 2, 2], { groups: 2, dilation: 2 }, 0],
];
for (const [title, xs, ws, geo, op] of transposedCases) {
  eachBackend(`convTranspose2d ${title}`, async (t) => {
    const options = { ...geo, outputPadding: op };
    await checkOp(t, { inputs: [{ shape: xs }, { shape: ws }], ours: (x, w) => sv.convTranspose2d(x as never, w as never, options as never) as Tensor, ref: (x, w) => convTranspose2dRef(x, w, geo, op), gradTol: 3e-3 });
  });
}

const poolCases: Array<[string, number[], number, number, number]> = [
  ['2x2 default stride', [2, 3, 6, 6], 2, 2, 0],
  ['3x3 stride 2 padding 1, odd size', [1, 2, 7, 5], 3, 2, 1],
  ['3x3 stride 1 overlapping', [1, 1, 5, 5], 3, 1, 0],
  ['2x2 stride 1 padding 1, width 10', [2, 2, 3, 10], 2, 1, 1],
  ['2x2 stride 2, width 19 (whole vectors and a tail)', [2, 2, 4, 19], 2, 2, 0],
  ['3x3 stride 3 padding 1 (one output at a time)', [1, 2, 7, 8], 3, 3, 1],
];
for (const [title, xs, k, stride, padding] of poolCases) {
  for (const kind of ['max', 'avg'] as const) {
    eachBackend(`${kind}Pool2d ${title}`, async (t) => {
      const options = stride === k ? { padding } : { stride, padding };
      const f = (x: Tensor) => (kind === 'max' ? sv.maxPool2d(x as never, k, options) : sv.avgPool2d(x as never, k, options)) as Tensor;
      await checkOp(t, { inputs: [{ shape: xs }], ours: f, ref: (x) => poolRef(x, k, stride, padding, kind) });
    });
  }
}

for (const [xs, out] of [
  [[2, 3, 5, 7], [2, 3]],
  [[1, 2, 4, 4], [1, 1]],
] as Array<[number[], [number, number]]>) {
  eachBackend(`adaptiveAvgPool2d [${xs}] to [${out}]`, async (t) => {
    await checkOp(t, { inputs: [{ shape: xs }], ours: (x) => sv.adaptiveAvgPool2d(x as never, out) as Tensor, ref: (x) => adaptiveRef(x, out[0], out[1]) });
  });
}

eachBackend('vmap of conv2d equals conv2d per example', async (t) => {
  const xs = sv.randn([3, 2, 2, 5, 5], { seed: 1 });
  const w = sv.randn([4, 2, 3, 3], { seed: 2 });
  const f = (x: Tensor) => sv.conv2d(x as never, w as never, { stride: 2, padding: 1 }) as Tensor;
  const batched = await sv.vmap(f)(xs).data();
  const each = await Promise.all([0, 1, 2].map((k) => f(sv.take(xs as never, 0, k as never) as Tensor).data()));
  const flat = each.flatMap((a) => [...a]);
  t.is(batched.length, flat.length);
  batched.forEach((v, k) => t.true(Math.abs(v - flat[k]) < 1e-4, `element ${k}`));
});

eachBackend('vmap of maxPool2d and avgPool2d equals pooling per example', async (t) => {
  const xs = sv.randn([3, 2, 2, 5, 6], { seed: 3 });
  for (const f of [(x: Tensor) => sv.maxPool2d(x as never, 2, { stride: 1 }) as Tensor, (x: Tensor) => sv.avgPool2d(x as never, 3, { stride: 2, padding: 1 }) as Tensor]) {
    const batched = await sv.vmap(f)(xs).data();
    const each = await Promise.all([0, 1, 2].map((k) => f(sv.take(xs as never, 0, k as never) as Tensor).data()));
    const flat = each.flatMap((a) => [...a]);
    t.is(batched.length, flat.length);
    batched.forEach((v, k) => t.true(Math.abs(v - flat[k]) < 1e-5, `element ${k}`));
  }
});

const throwsShape = (f: () => unknown, message: string) => (t: import('ava').ExecutionContext) => t.throws(f, { message });
const z = (s: number[]) => sv.zeros(s) as Tensor;
test('conv2d runtime sentences', (t) => {
  throwsShape(() => sv.conv2d(z([1, 3, 8, 8]) as never, z([4, 2, 3, 3]) as never), 'conv2d: x has 3 channels but w [4,2,3,3] with groups 1 expects 2')(t);
  throwsShape(() => sv.conv2d(z([1, 6, 8, 8]) as never, z([4, 3, 3, 3]) as never, { groups: 4 } as never), 'conv2d: groups 4 do not divide the input channels 6')(t);
  throwsShape(() => sv.conv2d(z([1, 3, 2, 8]) as never, z([4, 3, 3, 3]) as never), 'conv2d: the window 3 (kernel 3, dilation 1) exceeds the padded height 2')(t);
  throwsShape(() => sv.maxPool2d(z([1, 3, 8]) as never, 2), 'maxPool2d needs x [batch, channels, height, width], got [1,3,8]')(t);
  throwsShape(() => sv.adaptiveAvgPool2d(z([1, 3, 4, 4]) as never, [5, 1]), 'adaptiveAvgPool2d: output size 5 is not in [1, 4]')(t);
  // the sentences the types print for the same numbers (types-test/conv.test-d.ts)
  throwsShape(() => sv.convTranspose2d(z([1, 3, 1, 8]) as never, z([3, 4, 3, 3]) as never, { padding: 2 }), 'convTranspose2d: padding 2 leaves an empty output')(t);
  throwsShape(
    () => sv.convTranspose2d(z([1, 3, 8, 8]) as never, z([3, 4, 3, 3]) as never, { stride: 2, outputPadding: 2 }),
    'convTranspose2d: outputPadding 2 must be a non-negative integer below the stride or the dilation',
  )(t);
});
