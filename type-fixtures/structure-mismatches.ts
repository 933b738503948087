// Fixture for test/type-messages.test.ts: the structure ops' compile errors, the same sentences
// their runtime rules throw (test/dsl-structure.test.ts). Each `// error:` comment gives text that
// tsc 7 must print for the next line; no other line may fail.
import { concat, expandDims, eye, flatten, linspace, pad, split, squeeze, stack, zeros } from 'shaped-vit';

const a = zeros([2, 3]);
// error: stack: tensor 1 has shape [2,4] but tensor 0 has [2,3]
stack([a, zeros([2, 4])], 0);
// error: stack: axis 3 is out of range for a new axis of [2,3]
stack([a, a], 3);
// error: concat along axis 0: [4,3] and [1,4] differ at axis 1 (3 vs 4)
concat([a, a, zeros([1, 4])], 0);
// error: axis 2 is out of range for rank 2
concat([a, a], 2);
// error: squeeze: axis 0 of [2,1,3] has dim 2, not 1
squeeze(zeros([2, 1, 3]), 0);
// error: axis -2 is repeated in [1,-2]
squeeze(zeros([2, 1, 3]), [1, -2]);
// error: expandDims: axis -4 is out of range for a new axis of [2,3]
expandDims(a, -4);
// error: flatten: start axis 2 comes after end axis 1 of [2,3,4]
flatten(zeros([2, 3, 4]), 2, 1);
// error: axis 3 is out of range for rank 3
flatten(zeros([2, 3, 4]), 0, 3);
// error: pad needs one [before, after] per axis: 1 for [2,3]
pad(a, [[1, 1]]);
// error: pad width -2 on axis 1 is not a non-negative safe integer
pad(a, [[1, 1], [0, -2]]);
// error: split: 3 sections do not divide dim 10 on axis 0 of [10,2]
split(zeros([10, 2]), 3);
// error: split sections 0 is not a positive integer
split(zeros([10, 2]), 0);
// error: split index 12 exceeds dim 10 on axis 0 of [10,2]
split(zeros([10, 2]), [4, 12]);
// error: split indices [4,2] are not in increasing order
split(zeros([10, 2]), [4, 2]);
// error: dim -1 in [2,-1] is not a non-negative safe integer
eye(2, -1);
// error: dim 2.5 in [2.5] is not a non-negative safe integer
linspace(0, 1, 2.5);
