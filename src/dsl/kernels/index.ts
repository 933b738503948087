// The kernel table's entries: each backend's own kernels, by op. Imported once by the runtime.
import { registerFusedKernel, registerKernel } from '../kernel-table.js';
import { matmulP } from '../ops/matmul.js';
import { cpuMatmul } from './cpu-matmul.js';
import { webasmMatmul } from './webasm-matmul.js';
import { webasmPad, webasmPermute, webasmSlice } from './webasm-layout.js';
import { padP, permuteP, sliceP } from '../ops/layout.js';
import { webasmLogSoftmax } from './webasm-softmax.js';
import { webasmLayerNormGrad, webasmLayerNormalize, webasmSoftmax, webasmSum } from './webasm-rows.js';
import { normalizeGradP, normalizeP } from '../ops/layernorm.js';
import { broadcastToP, sumP } from '../ops/reduce.js';
import { logSoftmaxP, softmaxP } from '../ops/softmax.js';
import { webasmBroadcastTo, webasmElementwise } from './webasm-elementwise.js';

registerKernel(matmulP, 'webasm', webasmMatmul);
registerKernel(matmulP, 'cpu', cpuMatmul);
registerKernel(softmaxP, 'webasm', webasmSoftmax);
registerKernel(logSoftmaxP, 'webasm', webasmLogSoftmax);
registerKernel(normalizeP, 'webasm', webasmLayerNormalize);
registerKernel(normalizeGradP, 'webasm', webasmLayerNormGrad);
registerKernel(sumP, 'webasm', webasmSum);
registerKernel(broadcastToP, 'webasm', webasmBroadcastTo);
registerKernel(permuteP, 'webasm', webasmPermute);
registerKernel(sliceP, 'webasm', webasmSlice);
registerKernel(padP, 'webasm', webasmPad);
registerFusedKernel('webasm', webasmElementwise);
