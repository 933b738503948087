// The browser's tensor scopes (a stack, no AsyncLocalStorage): nested scopes, sync or awaited,
// attribute to the innermost one; async scopes that end out of order fail loudly.
import test from 'ava';
import { ScopeInterleavingError, scopeStack } from '../src/dsl/scope-stack.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

test('sync and awaited async scopes nest; the store is empty after', async (t) => {
  const store = scopeStack<string>();
  t.is(store.current(), undefined);
  store.run('outer', () => {
    t.is(store.current(), 'outer');
    store.run('inner', () => t.is(store.current(), 'inner'));
    t.is(store.current(), 'outer');
  });
  await store.run('a', async () => {
    await tick();
    t.is(store.current(), 'a');
    await store.run('b', async () => {
      await tick();
      t.is(store.current(), 'b');
    });
    t.is(store.current(), 'a');
  });
  t.is(store.current(), undefined);
});

test('a failing scope closes and its own error propagates', async (t) => {
  const store = scopeStack<string>();
  t.throws(() => store.run('s', () => { throw new Error('boom'); }), { message: 'boom' });
  await t.throwsAsync(store.run('s', async () => { await tick(); throw new Error('late'); }), { message: 'late' });
  t.is(store.current(), undefined);
});

test('async scopes that end out of order are an error, not a mis-attribution', async (t) => {
  const store = scopeStack<string>();
  let releaseB!: () => void;
  const a = store.run('a', async () => tick());
  const b = store.run('b', () => new Promise<void>((r) => (releaseB = r)));
  await t.throwsAsync(a, { instanceOf: ScopeInterleavingError });
  releaseB();
  await b;
  t.is(store.current(), undefined);
});
