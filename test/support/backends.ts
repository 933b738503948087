// Runs a test body once per backend present in this run. SHAPED_VIT_REQUIRE_BACKENDS (set by CI)
// lists backends that must be present: a missing one fails the run instead of being skipped.
import test, { type ExecutionContext } from 'ava';
import { availableBackends, backendNames, setBackend, type BackendName } from '../../src/index.js';

const present = await availableBackends();
const required = (process.env.SHAPED_VIT_REQUIRE_BACKENDS ?? '').split(',').filter(Boolean);
const only = (process.env.SHAPED_VIT_TEST_BACKENDS ?? '').split(',').filter(Boolean);
const announced = globalThis as { __skipAnnounced?: boolean };

for (const name of required) {
  if (!present.includes(name as BackendName)) {
    test(`required backend ${name} is available`, (t) => t.fail(`backend ${name} is required (SHAPED_VIT_REQUIRE_BACKENDS) but not usable here`));
  }
}
if (!announced.__skipAnnounced) {
  announced.__skipAnnounced = true;
  for (const name of backendNames) {
    if (!present.includes(name)) console.log(`skipping backend ${name}: not usable on this machine`);
  }
}

export const backendsUnderTest: BackendName[] = present.filter((b) => only.length === 0 || only.includes(b));

/** Declares `title` once per backend; tests run serially because the backend choice is global. */
export function eachBackend(title: string, body: (t: ExecutionContext, backend: BackendName) => Promise<void>): void {
  for (const name of backendsUnderTest) {
    test.serial(`[${name}] ${title}`, async (t) => {
      setBackend(name);
      await body(t, name);
    });
  }
}
