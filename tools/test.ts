// `npm test`'s ava run: ava with its arguments, stderr without Dawn's start-up warnings
// (tools/dawn-warnings.ts; SHAPED_VIT_DEBUG=1 keeps them); ava's exit status.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { debugEnabled } from '../src/dsl/webgpu-node.js';
import { withoutDawnWarnings } from './dawn-warnings.js';

// ava's command (its package exports only the library; the CLI sits beside it)
const ava = path.join(path.dirname(createRequire(import.meta.url).resolve('ava')), 'cli.mjs');
const child = spawn(process.execPath, [ava, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', debugEnabled() ? 'inherit' : 'pipe'] });
child.stderr?.pipe(withoutDawnWarnings()).pipe(process.stderr);
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
