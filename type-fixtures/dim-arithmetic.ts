// Fixture for test/typecheck-cost.test.ts: ImageNet- and ViT-B-sized dim arithmetic, which must
// compile and stay cheap (shape-types.ts computes digit by digit, not by tuple length; a tuple of
// 150,528 elements would not even compile: tsc caps tuples at 10,000).
import type { Add, Div, Mul, Product, Reshape, Sub } from '../src/dsl/shape-types.js';

// True<Same<A, B>> compiles only when A and B are the same type (never, number or an error fails).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type True<T extends true> = T;
export type Checks = [
  True<Same<150528, Mul<Mul<224, 224>, 3>>>,
  True<Same<3072, Mul<4, 768>>>,
  True<Same<150528, Product<[224, 224, 3]>>>,
  True<Same<50176, Div<150528, 3>>>,
  True<Same<153600, Add<150528, 3072>>>,
  True<Same<147456, Sub<150528, 3072>>>,
  True<Same<[2, 150528], Reshape<[2, 3, 224, 224], [2, -1]>>>,
  True<Same<[64, 196, 768], Reshape<[64, 14, 14, 768], [64, 196, 768]>>>,
  True<Same<115605504, Product<[196, 768, 768]>>>,
];
