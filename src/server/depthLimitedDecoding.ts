import { ValidationError } from '../domain/errors.js';
import { MAX_JSON_DEPTH } from '../domain/validation.js';

const REFUSED = Symbol('refused while decoding');

type Refusal = { readonly [REFUSED]: ValidationError };

/**
 * The generated decoders give up on a Struct nested a little deeper than our
 * documented limit, and grpc-js would answer that with INTERNAL. The message is
 * well formed, so the caller gets INVALID_ARGUMENT naming the field instead.
 */
export function refusingTooDeep<T>(decode: (bytes: Buffer) => T, field: string): (bytes: Buffer) => T {
  return (bytes) => {
    try {
      return decode(bytes);
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('recursion limit'))) throw err;
      const refusal: Refusal = { [REFUSED]: new ValidationError(field, `nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`) };
      return refusal as T;
    }
  };
}

/** The error a request was refused with while it was decoded, if it was. */
export function refusalOf(request: unknown): ValidationError | null {
  return typeof request === 'object' && request !== null && REFUSED in request ? (request as Refusal)[REFUSED] : null;
}
