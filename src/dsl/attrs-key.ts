// Attributes as key text, for caches keyed by what a computation is (plans, compiled kernels): plain
// data only. A function or a class instance cannot be spelled, so whoever keys by it must not cache.
const isPlain = (v: object) => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** An attribute value as key text, or null when it is not plain data (numbers, strings, booleans, arrays and records of them). */
export function attrsKey(v: unknown): string | null {
  switch (typeof v) {
    case 'undefined':
      return 'u';
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'boolean':
      return v ? 't' : 'f';
    case 'string':
      return JSON.stringify(v);
    case 'object': {
      if (v === null) return 'n';
      if (Array.isArray(v)) {
        let out = '[';
        for (const x of v) {
          const k = attrsKey(x);
          if (k === null) return null;
          out += `${k},`;
        }
        return `${out}]`;
      }
      if (!isPlain(v)) return null;
      let out = '{';
      for (const [name, x] of Object.entries(v)) {
        const k = attrsKey(x);
        if (k === null) return null;
        out += `${JSON.stringify(name)}:${k},`;
      }
      return `${out}}`;
    }
    default:
      return null;
  }
}
