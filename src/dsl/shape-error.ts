// The one error type of the shape system, shared by the type level (shape-types.ts) and the
// runtime rules (shape-rules.ts), so neither imports the other for it.

/**
 * A shape error. At runtime it is thrown; as a type, `ShapeError<"message">` is what
 * result types yield and check types require, so tsc prints the message.
 */
export class ShapeError<Msg extends string = string> extends Error {
  /** Phantom: the message as a type (no runtime property). */
  declare readonly __shapeError: Msg;
  constructor(message: Msg) {
    super(message);
    this.name = 'ShapeError';
  }
}
