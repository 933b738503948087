export class ShapeError<Msg extends string = string> extends Error {
  declare readonly __shapeError: Msg;
  constructor(message: Msg) {
    super(message);
    this.name = 'ShapeError';
  }
}
