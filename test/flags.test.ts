import test, { type ExecutionContext } from 'ava';
import { FlagError, helpText, parseFlags, type FlagSpecs } from '../src/cli/flags.js';
import { editDistance } from '../src/io/validation.js';

const spec = {
  'data-dir': { type: 'string', help: 'CIFAR-10 directory', required: true },
  'batch-size': { type: 'int', help: 'Images per step', default: 128, min: 1 },
  epochs: { type: 'int', help: 'Training epochs', default: 250, min: 1, max: 10000 },
  lr: { type: 'float', help: 'Peak learning rate', default: 1e-3, min: 0 },
  betas: { type: 'floatPair', help: 'Adam betas', default: [0.9, 0.999], min: 0, max: 1 },
  backend: { type: 'enum', values: ['cpu', 'webgpu'], help: 'Compute backend' },
  autoaugment: { type: 'bool', help: 'Use AutoAugment', default: true },
  'dry-run': { type: 'bool', help: 'Stop after one step' },
  resume: { type: 'string', help: 'Checkpoint to resume from' },
  seed: { type: 'int', help: 'Random seed', default: 0 },
} as const;

const base = ['--data-dir', '/data/cifar'];

function flagsOf(argv: string[]) {
  const r = parseFlags(spec, [...base, ...argv]);
  if (r.help) throw new Error('unexpected help');
  return r.flags;
}

/** Expects a one-line FlagError with exit code 2 and returns its message. */
function flagError(t: ExecutionContext, argv: string[], s: FlagSpecs = spec): string {
  const err = t.throws(() => parseFlags(s, argv), { instanceOf: FlagError });
  t.is(err?.exitCode, 2);
  t.false(err?.message.includes('\n'), `not one line: ${err?.message}`);
  return err?.message ?? '';
}

test('defaults, and typed camelCase results', (t) => {
  const f = flagsOf([]);
  t.deepEqual(f, {
    dataDir: '/data/cifar',
    batchSize: 128,
    epochs: 250,
    lr: 1e-3,
    betas: [0.9, 0.999],
    backend: undefined,
    autoaugment: true,
    dryRun: false,
    resume: undefined,
    seed: 0,
  });
  // Compile-time checks of the inferred types.
  const n: number = f.batchSize;
  const pair: [number, number] = f.betas;
  const backend: 'cpu' | 'webgpu' | undefined = f.backend;
  const dry: boolean = f.dryRun;
  // @ts-expect-error an optional flag without a default may be undefined
  const resume: string = f.resume;
  // @ts-expect-error kebab-case keys are not exposed
  void f['batch-size'];
  void [n, pair, backend, dry, resume];
  // A default array is copied, so mutating a result cannot change the spec.
  f.betas[0] = 0.5;
  t.deepEqual(flagsOf([]).betas, [0.9, 0.999]);
});

test('--flag value and --flag=value', (t) => {
  const f = flagsOf(['--batch-size', '64', '--lr=3e-4', '--betas', '0.8,0.99', '--backend=webgpu', '--resume', 'ckpt/last.safetensors', '--seed', '-7']);
  t.is(f.batchSize, 64);
  t.is(f.lr, 3e-4);
  t.deepEqual(f.betas, [0.8, 0.99]);
  t.is(f.backend, 'webgpu');
  t.is(f.resume, 'ckpt/last.safetensors');
  t.is(f.seed, -7); // a negative number is a value, not a flag
  t.is(flagsOf(['--resume=a=b']).resume, 'a=b'); // only the first '=' splits
  t.is(flagsOf(['--resume=']).resume, '');
});

test('booleans: --x, --no-x, --x=true|false', (t) => {
  t.is(flagsOf(['--dry-run']).dryRun, true);
  t.is(flagsOf(['--no-autoaugment']).autoaugment, false);
  t.is(flagsOf(['--autoaugment=false']).autoaugment, false);
  t.is(flagsOf(['--dry-run=true']).dryRun, true);
  // A bool never swallows the next word.
  t.regex(flagError(t, [...base, '--dry-run', 'yes']), /unexpected argument 'yes'/);
  t.regex(flagError(t, [...base, '--dry-run=yes']), /^--dry-run: expected true or false, got "yes"$/);
  t.regex(flagError(t, [...base, '--no-dry-run=false']), /^--no-dry-run takes no value$/);
});

test('unknown flags name the closest known flag', (t) => {
  t.is(flagError(t, [...base, '--bach-size', '3']), 'unknown flag --bach-size (did you mean --batch-size?)');
  t.is(flagError(t, [...base, '--epoch=3']), 'unknown flag --epoch (did you mean --epochs?)');
  t.is(flagError(t, [...base, '--datadir', 'x']), 'unknown flag --datadir (did you mean --data-dir?)');
  t.is(flagError(t, [...base, '--no-lr']), 'unknown flag --no-lr (did you mean --lr?)'); // --no- only for bools
  t.is(editDistance('kitten', 'sitting'), 3);
});

test('missing values', (t) => {
  t.is(flagError(t, [...base, '--lr']), '--lr needs a value (number)');
  t.is(flagError(t, [...base, '--epochs', '--lr', '1']), '--epochs needs a value (integer)');
  t.is(flagError(t, [...base, '--backend']), '--backend needs a value (cpu|webgpu)');
  t.is(flagError(t, ['--lr', '1']), 'missing required flag --data-dir (string)');
});

test('bad numbers and out-of-range values', (t) => {
  const bad: [string[], string][] = [
    [['--lr', 'abc'], '--lr: expected a number, got "abc"'],
    [['--lr', '1e-3x'], '--lr: expected a number, got "1e-3x"'],
    [['--lr='], '--lr: expected a number, got ""'],
    [['--lr', '0x10'], '--lr: expected a number, got "0x10"'],
    [['--lr', 'Infinity'], '--lr: expected a number, got "Infinity"'],
    [['--lr', '1e999'], '--lr: Infinity is not a finite number'],
    [['--lr', '-0.1'], '--lr: -0.1 is below the minimum 0'],
    [['--epochs', '2.5'], '--epochs: expected an integer, got "2.5"'],
    [['--epochs', '1e3'], '--epochs: expected an integer, got "1e3"'],
    [['--epochs', '0'], '--epochs: 0 is below the minimum 1'],
    [['--epochs', '10001'], '--epochs: 10001 is above the maximum 10000'],
    [['--seed', '99999999999999999999'], '--seed: 99999999999999999999 is too large'],
    [['--betas', '0.9'], '--betas: expected two comma-separated numbers like 0.9,0.999, got "0.9"'],
    [['--betas', '0.9,0.99,0.999'], '--betas: expected two comma-separated numbers like 0.9,0.999, got "0.9,0.99,0.999"'],
    [['--betas', '0.9,x'], '--betas: expected two comma-separated numbers like 0.9,0.999, got "0.9,x"'],
    [['--betas', '0.9,1.5'], '--betas: 1.5 is above the maximum 1'],
    [['--backend', 'cuda'], '--backend: "cuda" is not one of cpu, webgpu'],
  ];
  for (const [argv, msg] of bad) t.is(flagError(t, [...base, ...argv]), msg, argv.join(' '));
  t.deepEqual(flagsOf(['--betas', ' 0.5 , .25 ']).betas, [0.5, 0.25]);
  t.is(flagsOf(['--lr', '+.5e-2']).lr, 0.005);
});

test('repeated flags and positional words are errors', (t) => {
  t.is(flagError(t, [...base, '--lr', '1', '--lr=2']), '--lr is given more than once');
  t.is(flagError(t, [...base, '--autoaugment', '--no-autoaugment']), '--autoaugment is given more than once');
  t.is(flagError(t, [...base, 'train']), "unexpected argument 'train' (flags look like --name value)");
  t.is(flagError(t, [...base, '-x']), "unexpected argument '-x' (flags look like --name value)");
});

test('every problem is reported at once, each naming its flag, in argv order', (t) => {
  const argv = ['--bach-size', '3', '--lr', 'abc', 'train', '--epochs', '0', '--epochs', '2', '--betas', '2,3', '--backend'];
  const err = t.throws(() => parseFlags(spec, argv), { instanceOf: FlagError });
  t.deepEqual(err?.problems, [
    'unknown flag --bach-size (did you mean --batch-size?)',
    '--lr: expected a number, got "abc"',
    "unexpected argument 'train' (flags look like --name value)",
    '--epochs: 0 is below the minimum 1',
    '--epochs is given more than once',
    '--betas: 2 is above the maximum 1',
    '--betas: 3 is above the maximum 1',
    '--backend needs a value (cpu|webgpu)',
    'missing required flag --data-dir (string)',
  ]);
  t.is(err?.message, err?.problems.join('; '));
  t.is(flagError(t, argv), err?.message); // one line, exit code 2
});

test('--help wins, and the help text is generated from the spec', (t) => {
  t.deepEqual(parseFlags(spec, ['--lr', 'oops', '--help']), { help: true });
  t.deepEqual(parseFlags(spec, ['-h']), { help: true });
  const text = helpText(spec, 'shaped-vit train-cifar [flags]');
  const lines = text.trimEnd().split('\n');
  t.is(lines[0], 'Usage: shaped-vit train-cifar [flags]');
  t.is(lines[2], 'Flags:');
  t.is(lines.length, 3 + Object.keys(spec).length + 1);
  // One aligned row per flag, in spec order, then --help.
  const col = lines[3].indexOf('CIFAR-10 directory');
  for (const line of lines.slice(3)) {
    t.is(line.slice(col - 2, col), '  ', line);
    t.not(line[col], ' ', line);
  }
  t.true(lines[3].startsWith('  --data-dir <string>'));
  t.regex(text, /--data-dir <string> +CIFAR-10 directory \(required\)\n/);
  t.regex(text, /--batch-size <integer> +Images per step \(>= 1; default 128\)\n/);
  t.regex(text, /--epochs <integer> +Training epochs \(1\.\.10000; default 250\)\n/);
  t.regex(text, /--betas <number,number> +Adam betas \(0\.\.1; default 0\.9,0\.999\)\n/);
  t.regex(text, /--backend <cpu\|webgpu> +Compute backend \(one of cpu, webgpu\)\n/);
  t.regex(text, /--autoaugment, --no-autoaugment +Use AutoAugment \(default true\)\n/);
  t.regex(text, /--resume <string> +Checkpoint to resume from\n/);
  t.regex(text, /--help, -h +Show this help\n$/);
});

test('mistakes in the spec itself are programming errors', (t) => {
  t.throws(() => parseFlags({ BatchSize: { type: 'int', help: '' } }, []), { message: /'BatchSize' is not a kebab-case name/ });
  t.throws(() => parseFlags({ help: { type: 'bool', help: '' } }, []), { message: /'help' is reserved/ });
  t.throws(() => parseFlags({ x: { type: 'enum', values: ['a'], default: 'b' as 'a', help: '' } }, []), { message: /default 'b' is not one of its values/ });
  t.throws(() => parseFlags({ x: { type: 'float', min: 2, max: 1, help: '' } }, []), { message: /min 2 > max 1/ });
});
