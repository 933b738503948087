// Tensor scopes without AsyncLocalStorage (browsers): a stack of open scopes. An async `tidy` keeps
// its scope open across its awaits, so scopes must nest in time: one that ends while a scope opened
// after it is still open would have collected that scope's tensors, and is reported as an error
// instead of disposing tensors it does not own.
import type { ScopeStore } from './platform.js';

export class ScopeInterleavingError extends Error {
  override name = 'ScopeInterleavingError';
}

export function scopeStack<S>(): ScopeStore<S> {
  const open: S[] = [];
  // on a failing `fn` the scope is still closed, but its own error is the one reported
  const close = (scope: S, report = true) => {
    const at = open.lastIndexOf(scope);
    const interleaved = at !== open.length - 1;
    if (at >= 0) open.splice(at, 1);
    if (interleaved && report) {
      throw new ScopeInterleavingError(
        'tidy: an async tidy ended while one started after it was still running; without AsyncLocalStorage (browsers) await each tidy before starting the next',
      );
    }
  };
  return {
    current: () => open[open.length - 1],
    run(scope, fn) {
      open.push(scope);
      let result;
      try {
        result = fn();
      } catch (e) {
        close(scope, false);
        throw e;
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => (close(scope), value),
          (e) => {
            close(scope, false);
            throw e;
          },
        ) as typeof result;
      }
      close(scope);
      return result;
    },
  };
}
