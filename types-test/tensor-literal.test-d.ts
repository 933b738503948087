// tensor(nested arrays) without a shape: the shape is the nesting, in the type too.
import { expectType } from 'tsd';
import { tensor, type Tensor } from 'shaped-vit';

expectType<Tensor<[2, 3]>>(tensor([[1, 2, 3], [4, 5, 6]]));
expectType<Tensor<[3]>>(tensor([1, 2, 3]));
expectType<Tensor<[]>>(tensor(5));
expectType<Tensor<[0]>>(tensor([]));
expectType<Tensor<[2, 1, 2]>>(tensor([[[1, 2]], [[3, 4]]]));
declare const rows: number[][];
expectType<Tensor<[number, number]>>(tensor(rows));
// with a shape, as before
expectType<Tensor<[1, 3]>>(tensor([[-2, 0, 3]], [1, 3]));
expectType<Tensor<[2, 3]>>(tensor([1, 2, 3, 4, 5, 6], [2, 3]));

// @ts-expect-error ragged rows: "tensor: ragged nested array (rows of different lengths); give equal-length rows"
tensor([[1, 2], [3]]);
// @ts-expect-error ragged deeper down
tensor([[[1, 2]], [[3]]]);
// @ts-expect-error the inferred shape is [2, 3], not [3, 2]
export const wrong: Tensor<[3, 2]> = tensor([[1, 2, 3], [4, 5, 6]]);
