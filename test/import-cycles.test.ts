// Imports point down: no module of src/ reaches itself through its imports, counting `import
// type`, re-exports, dynamic `import()` and the `#platform` imports (both targets). A cycle is
// reported with the files on it.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

const platformTargets = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).imports['#platform'] as Record<string, string>;

/** The source files a specifier in `file` names (none for a package). */
function targets(file: string, specifier: string): string[] {
  if (specifier === '#platform') return Object.values(platformTargets).map((p) => join(root, p.replace(/^\.\/build\//, '').replace(/\.js$/, '.ts')));
  if (!specifier.startsWith('.')) return [];
  return [resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))];
}

/** Every module specifier of a source text: import / export ... from, bare imports, import(). */
export function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g)) found.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]);
  return found;
}

/** The import cycles among `files` (Tarjan's strongly connected components of more than one file, or a file importing itself). */
function cycles(files: readonly string[]): string[][] {
  const edges = new Map(files.map((f) => [f, [...new Set(specifiers(readFileSync(f, 'utf8')).flatMap((s) => targets(f, s)))].filter((t) => files.includes(t))]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do component.push((w = stack.pop()!));
      while (w !== v);
      if (component.length > 1 || edges.get(v)!.includes(v)) out.push(component.map((f) => relative(root, f)).sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return out;
}

test('the specifier parser sees every kind of import', (t) => {
  const text = "import { a } from './a.js';\nimport type { B } from './b.js';\nexport { c } from './c.js';\nexport * from './d.js';\nimport './e.js';\nconst f = await import('./f.js');\nimport {\n  g,\n  type H,\n} from '#platform';";
  t.deepEqual(specifiers(text).sort(), ['#platform', './a.js', './b.js', './c.js', './d.js', './e.js', './f.js']);
});

test('no import cycle in src/', (t) => {
  const found = cycles(sources(src));
  t.deepEqual(found, [], found.map((c) => `cycle of ${c.length} files: ${c.join(', ')}`).join('\n'));
});
