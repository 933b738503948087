#!/usr/bin/env node
// shaped-vit command line: `shaped-vit train-cifar [flags]`.
import { FlagError } from './flags.js';
import { trainCifar } from './train-cifar.js';

const usage = 'usage: shaped-vit train-cifar [flags]   (shaped-vit train-cifar --help lists the flags)';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'train-cifar') return trainCifar(rest);
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(usage);
    return command === undefined ? 2 : 0;
  }
  throw new FlagError(`unknown command '${command}'; ${usage}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error & { exitCode?: number }) => {
    // one line for the user; SHAPED_VIT_DEBUG=1 shows the stack
    console.error(`shaped-vit: ${process.env.SHAPED_VIT_DEBUG ? e.stack : e.message}`);
    process.exit(e.exitCode ?? 1);
  },
);
