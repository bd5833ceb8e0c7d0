/** A handler's failure, with its verdict on whether another attempt could succeed. */
export class HandlerError extends Error {
  override name = 'HandlerError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
