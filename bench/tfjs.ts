// The TF.js reference bench (../shared/bench/tfjs-vit), from its installed copy (peers.ts).
import { createRequire } from 'node:module';
import path from 'node:path';
import { peerBenchDir } from './peers.js';

/** A ready copy of tfjs-vit with its packages installed; installs it on first use (a minute). */
export const tfjsVitDir = (): string => peerBenchDir('tfjs-vit', 'node_modules/@tensorflow/tfjs-backend-wasm');

/** TF.js (tfjs-core) with its wasm backend ready, loaded from the tfjs-vit copy. */
export async function tfjsWasm(): Promise<any> {
  const { useBackend } = createRequire(path.join(tfjsVitDir(), 'package.json'))('./lib/backend.js');
  return useBackend('wasm');
}
