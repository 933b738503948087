// The control for type-fixtures/dim-arithmetic.ts: the same checks on one-digit dims.
import type { Add, Div, Mul, Product, Reshape, Sub } from '../src/dsl/shape-types.js';

// True<Same<A, B>> compiles only when A and B are the same type (never, number or an error fails).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type True<T extends true> = T;
export type Checks = [
  True<Same<6, Mul<Mul<1, 2>, 3>>>,
  True<Same<8, Mul<4, 2>>>,
  True<Same<6, Product<[1, 2, 3]>>>,
  True<Same<2, Div<6, 3>>>,
  True<Same<9, Add<6, 3>>>,
  True<Same<3, Sub<6, 3>>>,
  True<Same<[2, 6], Reshape<[2, 3, 2, 1], [2, -1]>>>,
  True<Same<[4, 2, 8], Reshape<[4, 1, 2, 8], [4, 2, 8]>>>,
  True<Same<8, Product<[2, 2, 2]>>>,
];
