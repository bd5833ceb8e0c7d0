import { timingSafeEqual } from 'node:crypto';
import type { Principal, Role } from '../../domain/roles.js';
import { sha256Hex } from '../../shared/sha256Hex.js';
import type { PrincipalEntry } from './authFile.js';
import { UnauthenticatedError } from './UnauthenticatedError.js';

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/;

/** What a call presents: its `authorization` metadata and, under mutual TLS, its certificate's CN. */
export interface Credentials {
  readonly authorization: string | null;
  readonly certificateCn: string | null;
}

export { sha256Hex };

function principalOf(entry: PrincipalEntry): Principal {
  return { name: entry.name, roles: new Set<Role>(entry.roles), executorIds: entry.executorIds };
}

/**
 * Turns a call's credentials into a principal under one version of the auth
 * file. A bearer token, when sent, names the principal; otherwise a client
 * certificate's CN does. Tokens are compared by their SHA-256, in constant time.
 */
export class Authenticator {
  private readonly byHash = new Map<string, { digest: Buffer; principal: Principal }>();
  private readonly byCn = new Map<string, Principal>();
  readonly names: ReadonlySet<string>;

  constructor(entries: readonly PrincipalEntry[]) {
    for (const entry of entries) {
      const principal = principalOf(entry);
      if (entry.tokenSha256 !== null) this.byHash.set(entry.tokenSha256, { digest: Buffer.from(entry.tokenSha256, 'hex'), principal });
      if (entry.certificateCn !== null) this.byCn.set(entry.certificateCn, principal);
    }
    this.names = new Set(entries.map((e) => e.name));
  }

  authenticate(credentials: Credentials): Principal {
    const { authorization, certificateCn } = credentials;
    if (authorization !== null) {
      const match = BEARER.exec(authorization.trim());
      if (match === null) throw new UnauthenticatedError('malformed', 'the authorization metadata must be "Bearer TOKEN"');
      const hex = sha256Hex(match[1]!);
      const found = this.byHash.get(hex);
      // The map finds the candidate by its hash; the comparison that decides is constant-time.
      if (found === undefined || !timingSafeEqual(found.digest, Buffer.from(hex, 'hex'))) {
        throw new UnauthenticatedError('unknown_token', 'the bearer token is not one this server knows (revoked, or mistyped)');
      }
      return found.principal;
    }
    if (certificateCn !== null) {
      const principal = this.byCn.get(certificateCn);
      if (principal === undefined) throw new UnauthenticatedError('unknown_certificate', `no principal has certificate_cn ${certificateCn}`);
      return principal;
    }
    throw new UnauthenticatedError('missing', 'send "authorization: Bearer TOKEN" metadata (or a client certificate, under mutual TLS)');
  }
}
