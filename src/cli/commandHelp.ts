/** What every client command takes, after its own flags. */
const COMMON = `
common flags:
  --server HOST:PORT   the server (default 127.0.0.1:50051, env ACTIONGATE_SERVER)
  --json               print the response in the gRPC JSON mapping, for scripts
  --timeout DURATION   give up on a call after this long: 10s (default), 500ms, 2m
  --token TOKEN | --token-file FILE   bearer token (env ACTIONGATE_TOKEN)
  --tls-ca FILE [--tls-cert FILE --tls-key FILE]   TLS, and mutual TLS

exit codes: 0 success, 2 usage, 3 not found, 4 refused (permission or illegal transition),
5 server unreachable or no answer before the deadline, 1 anything else
`;

const ENUMS = 'Statuses and risks are accepted as pending, PENDING or ACTION_STATUS_PENDING; repeat the flag or separate values with commas.';

const HELP: Readonly<Record<string, string>> = {
  propose: `usage: actiongate propose --type T --node N --service S [options]

Proposes an action; it waits for approval unless a policy approves it.
  --type T                 action type, e.g. rerun_healthcheck (required)
  --node N --service S     where it runs (required)
  --payload JSON           a JSON object for the executor
  --confidence X           0..1 (default 0)
  --risk safe|guarded|dangerous   raise the catalog's risk (never lowers it; the
                           command notes on stderr when the server kept a higher one)
  --correlation-id C  --rollback-reference R  --idempotency-key K  --reason R
`,
  approve: `usage: actiongate approve ID [--reason R]

Approves a PENDING action (DANGEROUS ones may need several approvers).
`,
  reject: `usage: actiongate reject ID --reason R

Rejects a PENDING action; say why.
`,
  get: `usage: actiongate get ID

Shows one action as a card, with its history.
`,
  list: `usage: actiongate list [--status S[,S]] [--type T] [--node N] [--service S] [--page-size N] [--page-token T]

Lists actions as a table: id, type, node/service, risk, status, age.
${ENUMS}
`,
  pause: `usage: actiongate pause ID [--reason R]

Pauses an action: its executor holds at the next checkpoint.
`,
  resume: `usage: actiongate resume ID [--reason R]

Resumes a paused action.
`,
  terminate: `usage: actiongate terminate ID [--reason R]

Terminates an action for good: a pending one never runs, a running one is aborted.
`,
  halt: `usage: actiongate halt [--reason R] [--terminate-running]

Stops everything: no approvals or claims until unhalt; running actions are paused
(or terminated with --terminate-running). A halt already in force is reported and exits 0.
`,
  unhalt: `usage: actiongate unhalt [--reason R]

Lifts the halt and resumes what it paused. When not halted, says so and exits 0.
`,
  'control-state': `usage: actiongate control-state [ID]

Shows the halt state, the executors subscribed, the server's version and, with ID,
the action's control state and its signals.
`,
  watch: `usage: actiongate watch [--status S[,S]] [--type T] [--node N] [--service S] [--after-sequence N]
                        [--after-signal N] [--keepalive-time-ms N] [--keepalive-timeout-ms N]

Tails transitions and control signals live, one line each, like \`kubectl get -w\`,
until Ctrl-C; with --json, one JSON object per line ({"event": ...} or {"signal": ...}).
A broken stream is reopened with backoff after the last line printed.
--after-sequence N starts after history event N, --after-signal N after control signal N
(0, the default, replays what came before). --status filters transitions; --node, --service
and --type filter both (a HALT or UNHALT always shows).
${ENUMS}
`,
  demo: `usage: actiongate demo [--port N]

Starts a throwaway actiongate on this machine: a server on a temporary data directory
with an auth file, the web inbox, a policy in recommend mode, an agent proposing a few
actions and an executor running approved ones in simulation. It prints the inbox URL,
a token to sign in with and commands to try from a second terminal. Ctrl-C stops it all
and removes the temporary directory.
  --port N    the gRPC port (default: a free one); the inbox gets another free port
`,
};

/** The help of a client command (operator commands, watch, demo), or undefined for the others. */
export function commandHelp(command: string): string | undefined {
  const text = HELP[command];
  if (text === undefined) return undefined;
  return command === 'demo' ? text : text + COMMON;
}
