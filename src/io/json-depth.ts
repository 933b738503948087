// Untrusted JSON is refused by nesting depth before it is parsed: a deeply nested value parses,
// but any recursive walk over it (validation, a message quoting it) overflows the stack.

/** The deepest nesting any JSON this library reads has (a tensor's shape sits at depth 3). */
export const MAX_JSON_DEPTH = 64;

/** Whether `text` nests arrays/objects deeper than `limit` (brackets inside strings do not count). */
export function jsonTooDeep(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
