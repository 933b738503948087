// Attributes as cache keys, for caches keyed by what a computation is (plans, compiled kernels):
// plain data only. A function or a class instance cannot be spelled or compared, so whoever keys by
// it must not cache.
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

/** Marks a value that is not plain data in a snapshot: it equals nothing, not even itself. */
const opaque: unique symbol = Symbol('not plain data');
/** A record snapshot's field names, in order (not enumerable): sameAttrs compares them without listing them again every call. */
const fieldNames: unique symbol = Symbol('field names');
type RecordSnapshot = Record<string, unknown> & { readonly [fieldNames]: readonly string[] };

/**
 * A copy of a plain attribute value that later changes to the original cannot reach, for
 * `sameAttrs`; `opaque` where it is not plain data (exactly where attrsKey is null).
 */
export function attrsSnapshot(v: unknown): unknown {
  switch (typeof v) {
    case 'undefined':
    case 'number':
    case 'boolean':
    case 'string':
      return v;
    case 'object': {
      if (v === null) return v;
      if (Array.isArray(v)) {
        const out: unknown[] = [];
        for (const x of v) {
          const s = attrsSnapshot(x);
          if (s === opaque) return opaque;
          out.push(s);
        }
        return out;
      }
      if (!isPlain(v)) return opaque;
      const out: Record<string, unknown> = {};
      const names: string[] = [];
      for (const [name, x] of Object.entries(v)) {
        const s = attrsSnapshot(x);
        if (s === opaque) return opaque;
        Object.defineProperty(out, name, { value: s, enumerable: true });
        names.push(name);
      }
      Object.defineProperty(out, fieldNames, { value: names });
      return out;
    }
    default:
      return opaque;
  }
}

/** Whether `snapshot` (from attrsSnapshot) and `v` are the same plain data: what attrsKey spells the same. */
export function sameAttrs(snapshot: unknown, v: unknown): boolean {
  if (snapshot === opaque) return false;
  if (typeof snapshot !== 'object' || snapshot === null) return Object.is(snapshot, v);
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(snapshot)) {
    if (!Array.isArray(v) || v.length !== snapshot.length) return false;
    for (let k = 0; k < v.length; k++) if (!sameAttrs(snapshot[k], v[k])) return false;
    return true;
  }
  if (Array.isArray(v) || !isPlain(v)) return false;
  const names = (snapshot as RecordSnapshot)[fieldNames];
  // v's own fields in order (a plain record inherits no enumerable ones), without listing them
  let k = 0;
  for (const name in v) {
    if (name !== names[k] || !sameAttrs((snapshot as RecordSnapshot)[name], (v as Record<string, unknown>)[name])) return false;
    k++;
  }
  return k === names.length;
}
