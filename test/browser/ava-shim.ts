// The page's stand-in for the part of ava that shared test files use (`test`, `test.serial` and the
// assertions below), so the page runs those files unchanged. Like ava, a failed assertion marks the
// test failed and the test goes on; the outcomes go back to Node's ava (test/browser.test.ts).
type Body = (t: Assertions) => unknown;

export interface Outcome {
  readonly title: string;
  readonly ok: boolean;
  readonly failures: readonly string[];
  readonly ms: number;
}

const registered: Array<{ title: string; body: Body }> = [];

function equalDeep(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => equalDeep((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

class Assertions {
  readonly failures: string[] = [];
  private check(ok: boolean, what: string, message?: string): boolean {
    if (!ok) this.failures.push(message ? `${message}: ${what}` : what);
    return ok;
  }
  is(actual: unknown, expected: unknown, message?: string) {
    return this.check(Object.is(actual, expected), `${String(actual)} is not ${String(expected)}`, message);
  }
  true(actual: unknown, message?: string) {
    return this.check(actual === true, `${String(actual)} is not true`, message);
  }
  deepEqual(actual: unknown, expected: unknown, message?: string) {
    return this.check(equalDeep(actual, expected), `${JSON.stringify(actual)} deep-differs from ${JSON.stringify(expected)}`, message);
  }
  throws(fn: () => unknown, expectation?: { readonly message?: RegExp | string }, message?: string) {
    try {
      fn();
    } catch (e) {
      const got = (e as Error)?.message ?? String(e);
      const want = expectation?.message;
      return this.check(want === undefined || (typeof want === 'string' ? got === want : want.test(got)), `threw "${got}", expected ${String(want)}`, message);
    }
    return this.check(false, 'did not throw', message);
  }
  fail(message?: string) {
    return this.check(false, 'failed', message);
  }
  pass() {
    return true;
  }
  log(...values: unknown[]) {
    console.log(...values);
  }
}

function test(title: string, body: Body): void {
  registered.push({ title, body });
}
test.serial = test;
test.skip = (_title: string, _body: Body): void => undefined;
export default test;

/** Runs the registered tests whose titles pass `select`, one at a time. */
export async function runRegistered(select: (title: string) => boolean): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const { title, body } of registered.filter((r) => select(r.title))) {
    const t = new Assertions();
    const start = performance.now();
    try {
      await body(t);
    } catch (e) {
      t.failures.push(`threw ${(e as Error)?.stack ?? String(e)}`);
    }
    out.push({ title, ok: t.failures.length === 0, failures: t.failures, ms: performance.now() - start });
  }
  return out;
}

export const registeredTitles = (): string[] => registered.map((r) => r.title);
