// ResNet configuration: a CIFAR-style ResNet (He et al. 2016, §4.2) with GroupNorm: a 3×3 stem,
// three stages of basic blocks at widths W, 2W, 4W (the second and third halve the image), global
// average pooling and a linear classifier. Validated at the type level (normGroups must divide
// width) and at runtime with the same sentence, every problem at once for plain-JS input.
import type { CheckOf, DivExact, Mul } from '../dsl/shape-types.js';
import { allFields, allOf, describeValue, didYouMean, invalid, isJsonObject, oneLine, orThrow, valid, type Validation } from '../io/validation.js';

export interface ResnetConfigInput {
  readonly imageSize: number;
  readonly channels: number;
  readonly classes: number;
  /** channels of the first stage; the second has 2·width, the third 4·width */
  readonly width: number;
  /** basic blocks per stage (depth 6·blocks + 2) */
  readonly blocks: number;
  /** GroupNorm groups; must divide width */
  readonly normGroups: number;
}

/** The stage widths W, 2W, 4W as types (literal for a literal config). */
export interface ResnetDims<C extends ResnetConfigInput> {
  readonly width1: C['width'];
  readonly width2: Mul<2, C['width']>;
  readonly width3: Mul<4, C['width']>;
}

export type ResnetConfig<C extends ResnetConfigInput = ResnetConfigInput> = C & ResnetDims<C>;

/** `unknown` when normGroups divides width, else the sentence. */
export type CheckResnetConfig<C extends ResnetConfigInput> = CheckOf<DivExact<C['width'], C['normGroups'], `normGroups ${C['normGroups']} does not divide width ${C['width']}`>>;

export class ResnetConfigError extends Error {
  override name = 'ResnetConfigError';
}

const fields = ['imageSize', 'channels', 'classes', 'width', 'blocks', 'normGroups'] as const;
const derivedKeys: readonly string[] = ['width1', 'width2', 'width3'] satisfies (keyof ResnetDims<ResnetConfigInput>)[];

/** Every problem of a ResNet config given as plain data, or the config. */
export function checkResnetConfig(input: unknown): Validation<ResnetConfigInput> {
  if (!isJsonObject(input)) return invalid(`a ResNet config must be an object, got ${describeValue(input)}`);
  const c = input;
  const unknownKeys = Object.keys(c)
    .filter((k) => !(fields as readonly string[]).includes(k) && !derivedKeys.includes(k))
    .map((k) => invalid(`unknown key '${k}'${didYouMean(k, fields, (n) => `'${n}'`)}`));
  const positiveInt = (k: (typeof fields)[number]): Validation<number> => {
    const v = c[k];
    if (v === undefined) return invalid(`${k} is missing (a positive integer)`);
    return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? valid(v) : invalid(`${k} must be a positive integer, got ${describeValue(v)}`);
  };
  const checked = allFields({
    imageSize: positiveInt('imageSize'),
    channels: positiveInt('channels'),
    classes: positiveInt('classes'),
    width: positiveInt('width'),
    blocks: positiveInt('blocks'),
    normGroups: positiveInt('normGroups'),
  });
  const width = positiveInt('width');
  const groups = positiveInt('normGroups');
  const divides =
    width._tag === 'Right' && groups._tag === 'Right' && width.right % groups.right !== 0 ? invalid(`normGroups ${groups.right} does not divide width ${width.right}`) : valid(undefined);
  const all = allOf<unknown>([...unknownKeys, checked, divides]);
  return all._tag === 'Left' ? all : checked;
}

/** Validates a ResNet config (a literal one that is invalid does not compile) and adds its stage widths. */
export function config<const C extends ResnetConfigInput>(c: C & CheckResnetConfig<C>): ResnetConfig<C>;
export function config(c: ResnetConfigInput): ResnetConfig {
  const v = orThrow(checkResnetConfig(c), (problems) => new ResnetConfigError(oneLine(problems)));
  return { ...v, width1: v.width, width2: 2 * v.width, width3: 4 * v.width };
}

/** The PyTorch constructor's names (test/support/resnet_reference.py), as stored in checkpoint metadata. */
export function torchConfig(c: ResnetConfigInput): Record<string, number> {
  return { num_classes: c.classes, image_size: c.imageSize, in_channels: c.channels, width: c.width, blocks: c.blocks, norm_groups: c.normGroups };
}

/** The model in words, for messages. */
export function describeConfig(c: ResnetConfigInput): string {
  return `ResNet-${6 * c.blocks + 2}, width ${c.width}, ${c.normGroups} norm groups, ${c.classes} classes, image ${c.imageSize}`;
}

/** Parameters of a config, counted arithmetically. */
export function parameterCountOf(c: ResnetConfigInput): number {
  const [w1, w2, w3] = [c.width, 2 * c.width, 4 * c.width];
  const block = (i: number, o: number) => o * i * 9 + o * o * 9 + 4 * o;
  const down = (i: number, o: number) => block(i, o) + o * i + 2 * o;
  const stage = (i: number, o: number, first: 'keep' | 'down') => (first === 'down' ? down(i, o) : block(i, o)) + (c.blocks - 1) * block(o, o);
  return w1 * c.channels * 9 + 2 * w1 + stage(w1, w1, 'keep') + stage(w1, w2, 'down') + stage(w2, w3, 'down') + w3 * c.classes + c.classes;
}
