import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A PEM certificate and its key, as files and as bytes. */
export interface Identity {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface TestCertificates {
  /** The CA that signs the server's certificate and the client certificates the server accepts. */
  readonly caFile: string;
  readonly ca: Buffer;
  /** For 127.0.0.1 and localhost. */
  readonly server: Identity;
  /** A client certificate with this CN, signed by the CA. */
  client(cn: string): Identity;
  /** A client certificate with this CN, signed by a CA the server does not know. */
  foreignClient(cn: string): Identity;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function newCa(dir: string, name: string): string {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
  return name;
}

function issue(dir: string, ca: string, file: string, cn: string, extensions: string): Identity {
  const ext = join(dir, `${file}.ext`);
  writeFileSync(ext, `${extensions}\n`);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${cn}`,
    '-keyout', `${file}.key`, '-out', `${file}.csr`]);
  openssl(dir, ['x509', '-req', '-in', `${file}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-days', '2', '-extfile', ext, '-out', `${file}.crt`]);
  const certFile = join(dir, `${file}.crt`);
  const keyFile = join(dir, `${file}.key`);
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/** A CA, a server certificate and client certificates made with openssl in `dir` (EC P-256, valid for two days). */
export function makeTestCertificates(dir: string): TestCertificates {
  const ca = newCa(dir, 'test-ca');
  const foreignCa = newCa(dir, 'foreign-ca');
  const server = issue(dir, ca, 'server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  let serial = 0;
  const client = (signer: string) => (cn: string): Identity =>
    issue(dir, signer, `client-${serial++}`, cn, 'extendedKeyUsage=clientAuth');
  const caFile = join(dir, `${ca}.crt`);
  return { caFile, ca: readFileSync(caFile), server, client: client(ca), foreignClient: client(foreignCa) };
}
