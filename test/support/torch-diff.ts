// A differential suite against PyTorch 1.13 (Debian python3-torch, /usr/bin/python3): the same
// random inputs through our ops (on every backend present) and a torch script (float64), forward
// and the gradients of sum(w · out). The script reads the cases as JSON on stdin and answers
// [{ shape, out, grads }] (test/support/torch_reference.py's protocol); python runs once per backend.
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fromTypedArray, mul, realize, sum, valueAndGrad, type Tensor } from '../../src/index.js';
import { eachBackend } from './backends.js';
import { randomArray, sizeOf } from './reference.js';

const python = '/usr/bin/python3';

export interface TorchInput {
  shape: number[];
  lo?: number;
  hi?: number;
  /** explicit values (indices, zeros); still differentiated unless `grad` is false */
  values?: number[];
  grad?: boolean;
}
export interface TorchCase {
  name: string;
  op: string;
  args?: Record<string, unknown>;
  inputs: TorchInput[];
  /** compare gradients too (default true) */
  grad?: boolean;
  tol?: number;
}
/** Our side of one op: the same names and argument records as the torch script's. */
export type OursOp = (op: string, xs: Tensor[], args: Record<string, any>) => Tensor;

const hasTorch = (() => {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

interface Drawn {
  inputs: Array<{ shape: number[]; data: number[]; grad: boolean }>;
  weights: number[];
}
function draw(c: TorchCase, k: number, outSize: number): Drawn {
  const inputs = c.inputs.map((s, j) => ({
    shape: s.shape,
    data: s.values ?? [...randomArray(sizeOf(s.shape), 1000 * k + j + 1, s.lo ?? -1, s.hi ?? 1).map(Math.fround)],
    grad: s.grad ?? true,
  }));
  return { inputs, weights: [...randomArray(outSize, 7919 * k + 3).map(Math.fround)] };
}

async function torchResults(script: string, payload: object[]): Promise<Array<{ shape: number[]; out: number[]; grads: number[][] }>> {
  return new Promise((resolve, reject) => {
    const child = execFile(python, [script], { maxBuffer: 1 << 28 }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout))));
    child.stdin!.end(JSON.stringify(payload));
  });
}

function close(ours: ArrayLike<number>, ref: readonly number[], tol: number): string | null {
  if (ours.length !== ref.length) return `length ${ours.length} vs ${ref.length}`;
  for (let i = 0; i < ref.length; i++) {
    if (!(Math.abs(ours[i] - ref[i]) <= tol + tol * Math.abs(ref[i]))) return `element ${i}: ${ours[i]} vs torch ${ref[i]}`;
  }
  return null;
}

/** Declares the suite: one test per backend comparing every case with torch (`script`, a path from the repository root). */
export function torchDifferential(title: string, script: string, cases: readonly TorchCase[], ours: OursOp): void {
  const path = fileURLToPath(new URL(`../../../${script}`, import.meta.url));
  if (!hasTorch) {
    test(`PyTorch is installed for ${title}`, (t) => t.fail(`${python} cannot import torch: install Debian's python3-torch (.ci/run does)`));
    return;
  }
  eachBackend(title, async (t) => {
    // our forward first (it gives each output's size for the weights), then one python run
    const drawn: Drawn[] = [];
    const outs: Float32Array[] = [];
    for (const [k, c] of cases.entries()) {
      const probe = draw(c, k, 0);
      const leaves = probe.inputs.map((i) => fromTypedArray(Float32Array.from(i.data), i.shape));
      const out = ours(c.op, leaves, c.args ?? {});
      drawn.push(draw(c, k, out.size));
      outs.push(await out.data());
      [out, ...leaves].forEach((x) => x.dispose());
    }
    const refs = await torchResults(path, cases.map((c, k) => ({ op: c.op, args: c.args ?? {}, inputs: drawn[k].inputs, weights: drawn[k].weights, grad: c.grad ?? true })));
    const problems: string[] = [];
    const check = (wrong: string | null, what: string) => wrong && problems.push(`${what}: ${wrong}`);
    for (const [k, c] of cases.entries()) {
      const tol = c.tol ?? 1e-4;
      const ref = refs[k];
      check(close(outs[k], ref.out, tol), `${c.name}: forward`);
      if (c.grad === false) continue;
      const leaves = drawn[k].inputs.map((i) => fromTypedArray(Float32Array.from(i.data), i.shape));
      const wrt = drawn[k].inputs.map((i, j) => (i.grad ? j : -1)).filter((j) => j >= 0);
      const w = fromTypedArray(Float32Array.from(drawn[k].weights), ref.shape);
      const loss = (params: Tensor[]) => sum(mul(ours(c.op, leaves.map((l, j) => (wrt.includes(j) ? params[wrt.indexOf(j)] : l)), c.args ?? {}), w));
      const [value, grads] = valueAndGrad(loss)(wrt.map((j) => leaves[j]));
      await realize([value, ...grads]);
      for (const [n, g] of grads.entries()) check(close(await g.data(), ref.grads[n], tol * 2), `${c.name}: gradient of input ${wrt[n]}`);
      [value, ...grads, w, ...leaves].forEach((x) => x.dispose());
    }
    t.deepEqual(problems, []);
  });
}
