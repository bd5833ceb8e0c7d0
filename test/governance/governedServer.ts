import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerConfig } from '../../src/server/ServerConfig.js';
import { clientsFor, principal, writeAuthFile, type Clients } from '../auth/authFixture.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';

/** The executor id the `runner` principal may act as. */
export const EXECUTOR_ID = 'runner-1';

/** Who takes part: an agent that proposes, two approvers, one principal that may do both, an executor, an operator. */
export const PEOPLE = {
  bot: principal('deploy-bot', ['agent']),
  alice: principal('alice', ['approver']),
  bob: principal('bob', ['approver']),
  carol: principal('carol', ['agent', 'approver']),
  runner: principal('runner', ['executor'], [EXECUTOR_ID]),
  oncall: principal('oncall', ['operator']),
};
export type Person = keyof typeof PEOPLE;

export interface GovernedServer {
  readonly t: TestServer;
  /** Where the auth and policy files live (not the data directory). */
  readonly dir: string;
  /** Clients presenting each person's token. */
  as(person: Person): Clients;
  stop(): Promise<void>;
}

/** Writes a policy file into `dir` and returns its path. */
export function writePolicyFile(dir: string, yaml: string, file = 'policy.yaml'): string {
  const path = join(dir, file);
  writeFileSync(path, yaml);
  return path;
}

/** A real server on loopback with an auth file naming PEOPLE and, when given, a policy file. */
export async function startGovernedServer(policyYaml: string | null, overrides: Partial<ServerConfig> = {}): Promise<GovernedServer> {
  const dir = tempDataDir('actiongate-governance-');
  const authFile = writeAuthFile(dir, Object.values(PEOPLE));
  const policyFile = policyYaml === null ? null : writePolicyFile(dir, policyYaml);
  const t = await startTestServer({ authFile, policyFile, ...overrides });
  const clients = new Map<Person, Clients>();
  return {
    t,
    dir,
    as(person) {
      let c = clients.get(person);
      if (c === undefined) {
        c = clientsFor(t.address, PEOPLE[person].token);
        clients.set(person, c);
      }
      return c;
    },
    async stop() {
      for (const c of clients.values()) c.close();
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
