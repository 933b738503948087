// node build/bench/matmul.js [backends, default webasm] [reps, default 7] [config, default small]   (SHAPED_VIT_RELAXED_SIMD=0:
// plain SIMD; SHAPED_VIT_NO_TFJS=1: ours (and gpu.js's) only, where the TF.js peer cannot be installed, as on the GPU machine)
// GFLOP/s of the matmuls a ViT training step of the config runs at batch 128 (vit-matmuls.ts; small: T=17, E=128, H=4, MLP 256),
// through the DSL (`matmul`), side by side with TF.js-wasm's tf.matMul on the same shapes in the
// same process (rounds interleaved, so machine load hits both alike). Prints the median and best
// of `reps` timed rounds after two warm-ups, and our max abs error against a float64 reference.
// A round times products the way a training step runs them (msPerCall): several back to back, each
// result freed as the next is launched, only a row of the last read back.
// On webgpu also gpu.js's own kernel for the same product (the packed vec4 kernel where 4 | n, else
// the portable one), which our tiled WGSL kernel replaced, interleaved in the same rounds.
import { backend, fromTypedArray, matmul, realize, setBackend, slice, type BackendName, type Tensor } from '../src/index.js';
import type { Backend, Storage, WebgpuBackend } from '../src/dsl/backend.js';
import { stridedMatmul, type MatmulAttrs } from '../src/dsl/ops/matmul.js';
import { packedMatmulSource } from '../src/dsl/kernels/webgpu-matmul.js';
import { portableLowering } from '../src/dsl/primitive.js';
import { tfjsWasm } from './tfjs.js';
import { flopsOf, vitMatmuls, type Case } from './vit-matmuls.js';
import { configs, type ConfigName } from './measure.js';
import { enableRelaxedSimd } from '../src/cli/relaxed-simd.js';


function reference(c: Case, a: Float32Array, b: Float32Array, m: number, k: number, n: number, batch: number): Float64Array {
  const out = new Float64Array(batch * m * n);
  const batchedB = c.b.length > 2;
  for (let bt = 0; bt < batch; bt++) {
    for (let r = 0; r < m; r++) {
      for (let col = 0; col < n; col++) {
        let acc = 0;
        for (let l = 0; l < k; l++) {
          const av = a[bt * m * k + (c.transposeA ? l * m + r : r * k + l)];
          const bv = b[(batchedB ? bt * k * n : 0) + (c.transposeB ? col * k + l : l * n + col)];
          acc += av * bv;
        }
        out[(bt * m + r) * n + col] = acc;
      }
    }
  }
  return out;
}

const maxErr = (x: Float32Array, ref: Float64Array) => x.reduce((e, v, i) => Math.max(e, Math.abs(v - ref[i])), 0);
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];

/** One way to compute a case's product: launch one (it may still be in flight), read its first row (which waits for it) or all of it, free it. */
interface Route<R> {
  launch(): Promise<R>;
  firstRow(r: R): Promise<unknown>;
  all(r: R): Promise<Float32Array>;
  free(r: R): void;
}

const callsPerRound = 5;

/**
 * Milliseconds per product as a training step sees them: `callsPerRound` back to back, each result
 * freed before the next launch (its memory reused, as a step's intermediates are), then the first
 * row of the last read back: that waits for the work, without a full read-back per product (a step
 * reads only its loss; on webasm every read makes a fresh array of the result's size, a copy out of
 * the team memory, which for the products with large results costs more than the product itself).
 */
async function msPerCall<R>(route: Route<R>): Promise<number> {
  const t0 = performance.now();
  let out = await route.launch();
  for (let k = 1; k < callsPerRound; k++) {
    route.free(out);
    out = await route.launch();
  }
  await route.firstRow(out);
  const ms = (performance.now() - t0) / callsPerRound;
  route.free(out);
  return ms;
}

/** One product's values, untimed, for the error checks. */
async function valuesOf<R>(route: Route<R>): Promise<Float32Array> {
  const out = await route.launch();
  const values = await route.all(out);
  route.free(out);
  return values;
}

async function benchBackend(name: BackendName, reps: number, tf: any | null, config: ConfigName): Promise<void> {
  const cases = vitMatmuls(config);
  setBackend(name);
  const be = await backend();
  console.log(`\n${config} config's step matmuls (batch 128): shaped-vit on ${be.description}${tf ? ` vs TF.js ${tf.version_core} ${tf.getBackend()} (XNNPACK, one thread)` : ' (TF.js not run: SHAPED_VIT_NO_TFJS)'}`);
  console.log('GFLOP/s, median / best; TF.js as asked (transpose flags) and untransposed (operands transposed beforehand, untimed)');
  const gpujsColumn = be.name === 'webgpu';
  console.log(`${'case x calls per step'.padEnd(44)} ${'ours'.padEnd(20)} ${'TF.js'.padEnd(20)} ${'TF.js untransposed'.padEnd(22)} ours/best TF.js  our max err${gpujsColumn ? '  gpu.js kernel         ours/gpu.js' : ''}`);
  const ratios: number[] = [];
  // the step's matmul time: each shape's median times its calls per step
  let stepMs = 0;
  let stepFlops = 0;
  for (const c of cases) {
    const ra = c.a.length;
    const [m, k] = c.transposeA ? [c.a[ra - 1], c.a[ra - 2]] : [c.a[ra - 2], c.a[ra - 1]];
    const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
    const batch = c.a.slice(0, -2).reduce((p, q) => p * q, 1);
    const av = new Float32Array(c.a.reduce((p, q) => p * q)).map((_, i) => Math.sin(i * 0.37));
    const bv = new Float32Array(c.b.reduce((p, q) => p * q)).map((_, i) => Math.cos(i * 0.11));
    const ref = reference(c, av, bv, m, k, n, batch);
    const a = fromTypedArray(av, c.a) as Tensor;
    const b = fromTypedArray(bv, c.b) as Tensor;
    await realize([a, b]);
    const ta = tf?.tensor(av, c.a);
    const tb = tf?.tensor(bv, c.b);
    // XNNPACK's route in TF.js: untransposed operands (tfjs-vit's --grad xnn materialises them)
    const flip = (x: any, on?: boolean) => (on ? tf.transpose(x, [...x.shape.keys()].map((d: number, _: number, all: number[]) => (d < all.length - 2 ? d : 2 * all.length - 3 - d))) : x.clone());
    const [ua, ub] = tf ? [flip(ta, c.transposeA), flip(tb, c.transposeB)] : [];
    const runOurs: Route<Tensor> = {
      launch: async () => {
        const out = matmul(a, b as never, { transposeA: c.transposeA, transposeB: c.transposeB }) as Tensor;
        await realize([out]);
        return out;
      },
      firstRow: async (out) => {
        const row = slice(out, 0, 0, 1);
        await row.data();
        row.dispose();
      },
      all: (out) => out.data(),
      free: (out) => out.dispose(),
    };
    const runTfWith = (x: any, y: any, transposeA: boolean, transposeB: boolean): Route<any> => ({
      launch: async () => tf.matMul(x, y, transposeA, transposeB),
      firstRow: async (out) => {
        const row = tf.slice(out, 0, 1);
        await row.data();
        row.dispose();
      },
      all: (out) => out.data(),
      free: (out) => out.dispose(),
    });
    // without TF.js its columns are not timed (shown as '-')
    const runTf = tf ? runTfWith(ta, tb, !!c.transposeA, !!c.transposeB) : null;
    const runGpujs = gpujsColumn ? gpujsMatmul(be as WebgpuBackend, a, b, c) : null;
    const runTfPlain = tf ? runTfWith(ua, ub, false, false) : null;
    // two warm-ups each: compilation, then the tiered-up wasm code
    const err = maxErr(await valuesOf(runOurs), ref);
    const tfErr = runTfPlain ? maxErr(await valuesOf(runTfPlain), ref) : 0;
    if (tfErr > 1e-3) throw new Error(`internal: TF.js untransposed route disagrees (${tfErr})`);
    if (runTf) await valuesOf(runTf);
    const gpujsErr = runGpujs ? maxErr(await valuesOf(runGpujs), ref) : 0;
    const routes = [runOurs, runTf, runTfPlain, runGpujs];
    const times = routes.map((): number[] => []);
    // each round times every route in turn; round -1 is the second warm-up
    for (let r = -1; r < reps; r++) {
      for (const [k, route] of routes.entries()) {
        if (!route) continue;
        const ms = await msPerCall<unknown>(route);
        if (r >= 0) times[k].push(ms);
      }
    }
    const [ours, theirs, plain, gpujsTimes] = times;
    const gf = (ms: number) => (2 * batch * m * n * k) / ms / 1e6;
    const fmt = (xs: number[], w: number, shown = true) => (shown ? `${gf(median(xs)).toFixed(2)} / ${gf(Math.min(...xs)).toFixed(2)}` : '-').padEnd(w);
    // against TF.js's faster route for this shape
    stepMs += c.calls * median(ours);
    stepFlops += c.calls * flopsOf(c);
    const ratio = Math.min(median(theirs), median(plain)) / median(ours);
    if (tf) ratios.push(ratio);
    const gpujsCells = runGpujs ? `  ${fmt(gpujsTimes, 20)} ${(median(gpujsTimes) / median(ours)).toFixed(2)} (gpu.js err ${gpujsErr.toExponential(1)})` : '';
    console.log(`${`${c.name} x${c.calls}`.padEnd(44)} ${fmt(ours, 20)} ${fmt(theirs, 20, !!tf)} ${fmt(plain, 22, !!tf)} ${(tf ? ratio.toFixed(2) : '-').padEnd(11)} ${err.toExponential(1)}${gpujsCells}`);
    a.dispose();
    b.dispose();
    for (const x of [ta, tb, ua, ub]) x?.dispose();
  }
  console.log(`ours, one step's matmuls: ${stepMs.toFixed(1)} ms (${(stepFlops / stepMs / 1e6).toFixed(2)} GFLOP/s)`);
  if (tf) console.log(`lowest ours/best TF.js: ${Math.min(...ratios).toFixed(2)}`);
}

/** gpu.js's webgpu kernel for case `c` on realized a and b: the packed vec4 kernel where 4 | n, else the portable one. */
function gpujsMatmul(be: WebgpuBackend, a: Tensor, b: Tensor, c: Case): Route<Storage> {
  const out = matmul(a, b as never, { transposeA: c.transposeA, transposeB: c.transposeB }) as Tensor;
  const plan = stridedMatmul(out, out.inputs, out.attrs as MatmulAttrs);
  const length = out.size;
  const portable = portableLowering(out);
  // its first row, by gpu.js's kernel for the slice
  const row = slice(out, 0, 0, 1);
  const firstRow = portableLowering(row);
  row.dispose();
  out.dispose();
  const args = [a.storage!, b.storage!];
  return {
    launch: plan.n % 4 ? () => portable(be as Backend, args) : () => be.runPacked({ source: packedMatmulSource(plan), length }, 4, args),
    firstRow: async (s) => {
      const r = await firstRow(be as Backend, [s]);
      await be.read(r);
      be.release(r);
    },
    all: (s) => be.read(s),
    free: (s) => be.release(s),
  };
}

enableRelaxedSimd();
const names = (process.argv[2] ?? 'webasm').split(',') as BackendName[];
const reps = Number(process.argv[3] ?? 7);
const config = (process.argv[4] ?? 'small') as ConfigName;
if (!(config in configs)) throw new Error(`unknown config ${config} (${Object.keys(configs).join(', ')})`);
const tf = process.env.SHAPED_VIT_NO_TFJS === '1' ? null : await tfjsWasm();
for (const name of names) await benchBackend(name, reps, tf, config);
process.exit(0);
