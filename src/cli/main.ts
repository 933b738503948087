#!/usr/bin/env node
// shaped-vit command line: `shaped-vit train-cifar [flags]`, `shaped-vit predict ...`. Every failure ends here as one line
// starting with "shaped-vit:" (a usage error: one such line per problem) and a non-zero exit; SHAPED_VIT_DEBUG=1 adds the stack.
import { describeFsError } from '../io/read-bounded.js';
import { debugEnabled } from '../dsl/webgpu-node.js';
import { FlagError } from './flags.js';
import { enableRelaxedSimd } from './relaxed-simd.js';
import { predict } from './predict.js';
import { trainCifar } from './train-cifar.js';

// A closed stdout or stderr (the reader of a pipe is gone: `| head`, `| tee` killed by Ctrl-C)
// must never stop a run: its writes fail with EPIPE and the output goes quiet; training goes on to its save.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
}

const usage = 'Usage: shaped-vit train-cifar [flags] | shaped-vit predict --checkpoint FILE IMAGE|FOLDER ...   (--help after a command lists its flags)';

async function main(argv: string[]): Promise<number> {
  enableRelaxedSimd();
  const [command, ...rest] = argv;
  if (command === 'train-cifar') return trainCifar(rest);
  if (command === 'predict') return predict(rest);
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(usage);
    return command === undefined ? 2 : 0;
  }
  throw new FlagError(`unknown command '${command}'; ${usage}`);
}

/** One line: system errors name their file and say what went wrong in words. */
function oneLine(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  let text = err instanceof Error ? err.message : String(e);
  if (err?.code && err.syscall) text = `${err.path ? `${err.path}: ` : ''}${describeFsError(err)}${err.syscall ? ` (${err.syscall})` : ''}`;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 2000 ? `${flat.slice(0, 1997)}...` : flat;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error & { exitCode?: number }) => {
    // a usage error lists every problem found, one line each
    for (const problem of e instanceof FlagError ? e.problems : [e]) console.error(`shaped-vit: ${oneLine(problem)}`);
    if (debugEnabled() && e?.stack) console.error(e.stack);
    process.exit(typeof e?.exitCode === 'number' ? e.exitCode : 1);
  },
);
