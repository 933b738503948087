// README examples that run as written: a test file holds the example between the lines
// `// README example begins` and `// README example ends`, and the README must show that text.
import { readFileSync } from 'node:fs';

const root = new URL('../../../', import.meta.url);

/** The example region of test source `file` (relative to the repository root), and whether the README shows it verbatim. */
export function readmeExample(file: string): { readonly example: string; readonly shown: boolean } {
  const source = readFileSync(new URL(file, root), 'utf8');
  const match = /\/\/ README example begins\n([\s\S]*?)\/\/ README example ends\n/.exec(source);
  if (!match) throw new Error(`${file} has no README example region`);
  const example = match[1];
  return { example, shown: readFileSync(new URL('README.md', root), 'utf8').includes(example) };
}
