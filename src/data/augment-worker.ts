// Worker thread of the data loader: builds batches on request. The dataset
// arrives once through workerData (a view on a SharedArrayBuffer, so no copy);
// each request carries the record indices, and the float batch goes back as a
// transferred buffer.

import { parentPort, workerData } from 'node:worker_threads';
import { buildBatch, type BatchJob } from './pipeline.js';
import { CIFAR_IMAGE_BYTES } from './cifar.js';

export interface WorkerInit extends BatchJob {
  images: Uint8Array;
}
export interface WorkerRequest {
  id: number;
  indices: Int32Array;
}
export type WorkerReply = { id: number; images: Float32Array; indices: Int32Array } | { id: number; error: string };

if (!parentPort) throw new Error('augment-worker.js must run as a worker thread');
const port = parentPort;
const init = workerData as WorkerInit;

port.on('message', (req: WorkerRequest) => {
  try {
    const out = new Float32Array(req.indices.length * CIFAR_IMAGE_BYTES);
    buildBatch(init.images, req.indices, init, out);
    const reply: WorkerReply = { id: req.id, images: out, indices: req.indices };
    port.postMessage(reply, [out.buffer, req.indices.buffer as ArrayBuffer]);
  } catch (err) {
    const reply: WorkerReply = { id: req.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    port.postMessage(reply);
  }
});
