/** Why a call carried no credential the server accepts; the label of actiongate_auth_failures_total. */
export type AuthFailure = 'missing' | 'malformed' | 'unknown_token' | 'unknown_certificate' | 'revoked';

/** The call has no credential the server accepts. The message never holds a token. */
export class UnauthenticatedError extends Error {
  override name = 'UnauthenticatedError';
  constructor(
    readonly reason: AuthFailure,
    message: string,
  ) {
    super(message);
  }
}
