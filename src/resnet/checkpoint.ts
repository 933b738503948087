// The ResNet as a checkpoint kind (nn/model-checkpoint.ts): `__metadata__.model` "resnet", the
// config under the PyTorch constructor's names (test/support/resnet_reference.py), bounded.
import { allFields, oneLine, orThrow } from '../io/validation.js';
import { CheckpointError, storedConfigFields, type CheckpointModel } from '../nn/model-checkpoint.js';
import { config, describeConfig, parameterCountOf, torchConfig, type ResnetConfig, type ResnetConfigInput } from './config.js';
import { expectedShapes, fromStateDict, stateDict, type ResnetParams } from './params.js';

/** Upper bounds on a stored config: far above any model trained here, far below what would exhaust memory while checking one. */
export const RESNET_LIMITS = { num_classes: 1 << 20, image_size: 1 << 14, in_channels: 1 << 10, width: 1 << 12, blocks: 1 << 10, norm_groups: 1 << 12 } as const;

function validConfig(input: ResnetConfigInput, fileName: string): ResnetConfig {
  try {
    return config(input);
  } catch (e) {
    throw new CheckpointError(`${fileName}: the stored model config is invalid: ${(e as Error).message}`);
  }
}

function configFromMetadata(metadata: Record<string, string>, fileName: string): ResnetConfig {
  const num = storedConfigFields(metadata, fileName, RESNET_LIMITS);
  const fields = allFields({
    classes: num('num_classes'),
    imageSize: num('image_size'),
    channels: num('in_channels'),
    width: num('width'),
    blocks: num('blocks'),
    normGroups: num('norm_groups'),
  });
  return validConfig(orThrow(fields, (problems) => new CheckpointError(`${fileName}: ${oneLine(problems)}`)), fileName);
}

export const resnetCheckpoint: CheckpointModel<ResnetConfig, ResnetParams, ResnetConfigInput> = {
  kind: 'resnet',
  label: 'ResNet',
  configFromMetadata,
  validConfig,
  torchConfig,
  describe: describeConfig,
  parameterCount: parameterCountOf,
  expectedShapes,
  stateDict,
  fromStateDict,
};
