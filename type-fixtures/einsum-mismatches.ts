// Fixture for test/dsl-einsum.test.ts (meant to fail to compile): each `// error:` comment gives the
// sentence tsc 7 must print for the next line, and the same call at runtime must throw it.
import { einsum, zeros } from 'shaped-vit';

// error: einsum: label j is 4 in operand 0 and 5 in operand 1
einsum('ij,jk->ik', zeros([3, 4]), zeros([5, 6]));
// error: einsum: label b is 2 in operand 0 and 3 in operand 1
einsum('bij,bjk->bik', zeros([2, 3, 4]), zeros([3, 4, 5]));
// error: einsum: label i is 3 in operand 0 and 4 in operand 0
einsum('ii->i', zeros([3, 4]));
// error: einsum: 'ij,jk->ik' names 2 operands but 3 were given
einsum('ij,jk->ik', zeros([3, 4]), zeros([4, 5]), zeros([5, 6]));
// error: einsum: 'ij,jk->ik' names 2 operands but 1 were given
einsum('ij,jk->ik', zeros([3, 4]));
// error: einsum: output label x is not in the inputs
einsum('ij,jk->ix', zeros([3, 4]), zeros([4, 5]));
// error: einsum: output label i is repeated
einsum('ij,jk->ii', zeros([3, 4]), zeros([4, 5]));
// error: einsum: operand 1 is [4,5,6] but 'jk' names 2 dims
einsum('ij,jk->ik', zeros([3, 4]), zeros([4, 5, 6]));
// error: einsum: operand 0 is [3] but '...ij' names at least 2 dims
einsum('...ij->...', zeros([3]));
// error: einsum: '1' in 'i1' is not a label (a letter, or ... for broadcast dims)
einsum('i1->i', zeros([2, 2]));
// error: einsum: '.' in 'i..j' is not a label (a letter, or ... for broadcast dims)
einsum('i..j', zeros([2, 2]));
// error: einsum: the ... dims [4] of operand 1 do not broadcast with [2]
einsum('...i,...i->...', zeros([2, 3]), zeros([4, 3]));
// error: einsum: the output 'ij' has no ... for the broadcast dims [2]
einsum('...ij->ij', zeros([2, 3, 4]));
