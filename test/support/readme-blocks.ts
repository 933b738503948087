// The README's TypeScript code blocks, as the doc test compiles and runs them: every fenced block
// whose language is `ts` (or `typescript`), in the order written. A block marked ```ts no-test
// (e.g. one that shows a compile error) is skipped: use it sparingly.
export interface ReadmeBlock {
  /** 1-based line of the opening fence in the README */
  readonly line: number;
  readonly code: string;
  readonly tested: boolean;
}

export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, fence, lang, rest] = open;
    let end = i + 1;
    while (end < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[end])) end++;
    if (lang === 'ts' || lang === 'typescript') blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n') + '\n', tested: !rest.trim().split(/\s+/).includes('no-test') });
    i = end;
  }
  return blocks;
}
