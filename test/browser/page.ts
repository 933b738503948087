// The browser test page: the shared op checks (test/dsl-ops.test.ts and the files imported below, bundled with ava-shim.ts in
// place of ava) and the quick-ViT training steps, for the Node side to call through puppeteer.
import { runRegistered, registeredTitles } from './ava-shim.js';
import '../dsl-ops.test.js';
import '../webgpu-rows.test.js';
import '../webgpu-elementwise.test.js';
import '../flat-optim.test.js';
import { availableBackends, backend, type BackendName } from '../../src/core.js';
import { quickTrainLosses } from '../support/quick-train.js';

const page = {
  availableBackends,
  /** The op checks declared for `name` (titles start with `[name]`). */
  runOpChecks: (name: BackendName) => runRegistered((title) => title.startsWith(`[${name}] `)),
  opCheckTitles: registeredTitles,
  quickTrainLosses,
  backendDescription: async () => (await backend()).description,
  crossOriginIsolated: () => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
};
export type TestPage = typeof page;
Object.assign(globalThis, { shapedVitTestPage: page });
