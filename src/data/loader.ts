// Training/eval batches built in worker threads, so decoding and augmentation
// overlap the model's compute. Batches come out in a fixed order, and each
// record's randomness comes from (seed, epoch, record index), so the output is
// identical for any number of workers (0 = build in this thread).

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { CIFAR_IMAGE_BYTES } from './cifar.js';
import { AUGMENT_KINDS, buildBatch, type AugmentKind } from './pipeline.js';
import { createRng, deriveSeed, shuffleInPlace } from './rng.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './augment-worker.js';

export type { AugmentKind } from './pipeline.js';

export interface LoaderOptions {
  /** N CHW uint8 records of 3072 bytes; best on a SharedArrayBuffer (loadCifar10 does that), else copied once per pass for the workers. */
  images: Uint8Array;
  labels: Uint8Array;
  batchSize: number;
  shuffle?: boolean;
  augment?: AugmentKind;
  seed?: number;
  epoch?: number;
  /** Worker threads; 0 builds batches in the calling thread. Default min(2, CPUs). */
  workers?: number;
  /** Use only the first `limit` records (file order). */
  limit?: number;
  /** Drop the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** Start at this batch (a resumed epoch): earlier batches are not built. Default 0. */
  skip?: number;
  /** Batches requested ahead of the consumer. Default max(2, 2 * workers). */
  prefetch?: number;
}

export interface Batch {
  /** count * 3 * 32 * 32 normalized CHW floats. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
  /** Record indices (into the unlimited dataset) of this batch, in order. */
  indices: Int32Array;
}

export interface Loader extends AsyncIterable<Batch> {
  /** Number of batches in one pass (including any skipped). */
  readonly batches: number;
  /** Number of records one pass covers. */
  readonly records: number;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, os.availableParallelism()));
}

function toShared(images: Uint8Array): Uint8Array {
  if (images.buffer instanceof SharedArrayBuffer) return images;
  const shared = new Uint8Array(new SharedArrayBuffer(images.length));
  shared.set(images);
  return shared;
}

interface Pending {
  resolve: (images: Float32Array) => void;
  reject: (err: Error) => void;
}

/** A small pool: one request queue per worker, ref'd only while it has work so an abandoned loader never keeps the process alive. */
class Pool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending & { worker: number }>();
  private readonly busy: number[] = [];
  private failure: Error | null = null;
  private closing = false;
  private nextId = 0;

  constructor(count: number, init: WorkerInit) {
    const url = new URL('./augment-worker.js', import.meta.url);
    for (let i = 0; i < count; i++) {
      const w = new Worker(url, { workerData: init });
      w.unref();
      w.on('message', (msg: WorkerReply) => this.onReply(i, msg));
      w.on('error', (err) => this.fail(err instanceof Error ? err : new Error(String(err))));
      w.on('exit', (code) => {
        // During close() the other workers are still terminating: leave them (and their refs) alone.
        if (!this.closing && this.pending.size) this.fail(new Error(`data loader worker ${i} exited with code ${code} while building a batch`));
      });
      this.workers.push(w);
      this.busy.push(0);
    }
  }

  run(worker: number, indices: Int32Array): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      if (this.busy[worker]++ === 0) this.workers[worker].ref();
      const req: WorkerRequest = { id, indices };
      this.workers[worker].postMessage(req, [indices.buffer as ArrayBuffer]);
    });
  }

  private onReply(worker: number, msg: WorkerReply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (--this.busy[worker] === 0) this.workers[worker].unref();
    if ('error' in msg) p.reject(new Error(`data loader worker failed: ${msg.error}`));
    else p.resolve(msg.images);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (this.closing) return;
    this.workers.forEach((w, i) => {
      this.busy[i] = 0;
      w.unref();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Batches of normalized images for one epoch; iterate it with for await. */
export function createLoader(opts: LoaderOptions): Loader {
  const { images, labels, batchSize, shuffle = false, augment = 'none', seed = 0, epoch = 0, dropLast = false } = opts;
  const workers = opts.workers ?? defaultWorkers();
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!AUGMENT_KINDS.includes(augment)) throw new RangeError(`augment must be one of ${AUGMENT_KINDS.join(', ')}, got ${augment}`);
  if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`workers must be a non-negative integer, got ${workers}`);
  if (images.length !== labels.length * CIFAR_IMAGE_BYTES) {
    throw new RangeError(`images has ${images.length} bytes, expected ${labels.length} records x ${CIFAR_IMAGE_BYTES}`);
  }
  const total = labels.length;
  const n = opts.limit === undefined ? total : opts.limit;
  if (!Number.isInteger(n) || n < 0 || n > total) throw new RangeError(`limit must be an integer in 0..${total}, got ${opts.limit}`);
  const batches = dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  const records = dropLast ? batches * batchSize : n;
  const prefetch = Math.max(1, opts.prefetch ?? Math.max(2, 2 * workers));
  const skip = opts.skip ?? 0;
  if (!Number.isInteger(skip) || skip < 0 || skip > batches) throw new RangeError(`skip must be an integer in 0..${batches}, got ${opts.skip}`);

  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (shuffle) shuffleInPlace(order, createRng(deriveSeed(seed, epoch)));

  const job = { augment, seed, epoch };
  const indicesOf = (b: number): Int32Array => order.slice(b * batchSize, Math.min(records, (b + 1) * batchSize));
  const labelsOf = (idx: Int32Array): Int32Array => Int32Array.from(idx, (i) => labels[i]);

  async function* inThread(): AsyncGenerator<Batch> {
    for (let b = skip; b < batches; b++) {
      const indices = indicesOf(b);
      const out = buildBatch(images, indices, job, new Float32Array(indices.length * CIFAR_IMAGE_BYTES));
      yield { images: out, labels: labelsOf(indices), count: indices.length, indices };
    }
  }

  async function* inWorkers(): AsyncGenerator<Batch> {
    const poolSize = Math.min(workers, batches - skip);
    const pool = new Pool(poolSize, { images: toShared(images.subarray(0, n * CIFAR_IMAGE_BYTES)), ...job });
    const inFlight: { promise: Promise<Float32Array>; indices: Int32Array; labels: Int32Array }[] = [];
    let dispatched = skip;
    try {
      for (let b = skip; b < batches; b++) {
        while (dispatched < batches && dispatched - b < prefetch) {
          const indices = indicesOf(dispatched);
          const keep = indices.slice(); // the request's copy is transferred away
          const promise = pool.run(dispatched % poolSize, indices);
          promise.catch(() => undefined); // surfaced when this batch is awaited
          inFlight.push({ promise, indices: keep, labels: labelsOf(keep) });
          dispatched++;
        }
        const next = inFlight.shift()!;
        const out = await next.promise;
        yield { images: out, labels: next.labels, count: next.indices.length, indices: next.indices };
      }
    } finally {
      await pool.close();
    }
  }

  return {
    batches,
    records,
    [Symbol.asyncIterator]: () => (workers === 0 || batches === skip ? inThread() : inWorkers()),
  };
}
