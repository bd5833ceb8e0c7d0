import { OpenModeRefusedError } from '../server/OpenModeRefusedError.js';
import { ConfigError } from '../shared/ConfigError.js';
import { StartupError } from '../shared/StartupError.js';
import { commandHelp } from './commandHelp.js';
import { PACKAGE_VERSION } from '../shared/packageVersion.js';

const USAGE = `usage: actiongate <command> [options]      actiongate <command> --help      actiongate --version

commands:
  serve      run the server
             --listen HOST:PORT      (default 127.0.0.1:50051, env ACTIONGATE_LISTEN)
             --data-dir DIR          (default ./data, env ACTIONGATE_DATA_DIR)
             --database-url URL      PostgreSQL (postgres://USER@HOST/DB) instead of SQLite in --data-dir;
                                     several servers may share it (env ACTIONGATE_DATABASE_URL)
             --http-listen HOST:PORT  /healthz, /readyz and /metrics (off unless given, env ACTIONGATE_HTTP_LISTEN)
             --catalog FILE          extra action types, a JSON array of {type, risk, description}
             --max-attempts N        (default 3)
             --max-payload-bytes N   (default 65536)
             --disk-reserve BYTES    disk held back so the kill switch still writes on a full disk
                                     (default 67108864, 0 turns it off, env ACTIONGATE_DISK_RESERVE)
             --sweep-interval-ms N   how often expired leases are reclaimed (default 1000)
             --keepalive-time-ms N   ping each connection this often (default 10000, 0 turns pings off)
             --keepalive-timeout-ms N  drop a connection whose ping goes unanswered this long (default 5000)
             --skip-quick-check      do not run SQLite's quick_check on the database at start (for a very large one)
             --log-level LEVEL       (default info)
             --auth-file FILE        principals and their roles (YAML, env ACTIONGATE_AUTH_FILE); without it the
                                     server runs open, every caller "anonymous", on a loopback address only
             --allow-unauthenticated run open on a non-loopback --listen anyway (logged as a warning)
             --tls-cert FILE --tls-key FILE  serve TLS with this certificate chain and key (PEM)
             --tls-client-ca FILE    require client certificates signed by this CA (mutual TLS); a certificate
                                     whose CN is a principal's certificate_cn authenticates as it
             --policy FILE           approvals required, TTLs and auto-approval rules (YAML, env ACTIONGATE_POLICY);
                                     without it every action waits for people; reloaded on SIGHUP
             --notify-webhook URL    POST JSON (Slack-compatible "text" and the action) when an action waits for
                                     approval, is terminated or fails, and on a halt; repeatable
                                     (env ACTIONGATE_NOTIFY_WEBHOOK, comma-separated); retried until delivered
             --public-url URL        where people reach the inbox, for links in notifications (env ACTIONGATE_PUBLIC_URL)
  auth       manage the principals of an auth file (--auth-file FILE, env ACTIONGATE_AUTH_FILE)
             add NAME --roles R[,R] [--executor-ids A,B] [--certificate-cn CN]
                                     prints the new token once on stdout; only its SHA-256 is kept
             remove NAME             list  (names and roles, never a hash)
             --json                  print JSON: list as an array, add as {"name", "token"}, remove as {"removed"}
  verify     check the database file (SQLite's integrity_check) and the history's hash chain, read-only;
             exit 0 if both hold, 1 naming the first problem
             --data-dir DIR          (default ./data, env ACTIONGATE_DATA_DIR)
             --database-url URL      check PostgreSQL's shared history instead (env ACTIONGATE_DATABASE_URL)
  executor   claim approved actions and run them, obeying the kill switch
             --server HOST:PORT      (default 127.0.0.1:50051, env ACTIONGATE_SERVER); several replicas'
                                     IP addresses comma-separated (a:50051,b:50051) fail over between them
             --executor-id ID        required, env ACTIONGATE_EXECUTOR_ID
             --action-types A,B      (default: every type with a handler, env ACTIONGATE_ACTION_TYPES)
             --handlers FILE         real handlers per action type, a JSON object of
                                     {"command": [...], "timeoutSeconds": N} or {"http": {"url", "method", "timeoutSeconds"}}
                                     or {"simulate": {"stepDelayMs": N}}; unconfigured built-in types
                                     run in simulation mode (env ACTIONGATE_HANDLERS)
             --lease-ttl-seconds N   (default 30; heartbeats every third of it)
             --concurrency N         actions run at once (default 1)
             --poll-wait-seconds N   Execute long-poll wait (default 20)
             --shutdown-grace-seconds N  on SIGTERM/SIGINT, time to finish before aborting (default 30)
             --keepalive-time-ms N   ping the server this often (default 10000, 0 turns pings off)
             --keepalive-timeout-ms N  reconnect when a ping goes unanswered this long (default 5000)
             --disconnect-grace-ms N  control stream down this long: running actions hold at their
                                     next checkpoint until it is back (default: a third of the lease)
             --state-dir DIR         running commands are recorded here; a restart kills what a dead
                                     executor left (default ./executor-state/<executor-id>, env ACTIONGATE_STATE_DIR)
             --log-level LEVEL       (default info)

operator commands (human output; --json prints the gRPC JSON mapping; --timeout 10s bounds each call;
--server HOST:PORT, env ACTIONGATE_SERVER; statuses and risks as pending, PENDING or ACTION_STATUS_PENDING):
  propose --type T --node N --service S [--payload JSON] [--confidence X] [--risk safe|guarded|dangerous]
          [--correlation-id C] [--rollback-reference R] [--idempotency-key K]
  approve ID [--reason R]          reject ID --reason R          get ID
  list [--status pending ...] [--type T] [--node N] [--service S] [--page-size N] [--page-token T]
  pause ID [--reason R]            resume ID [--reason R]        terminate ID [--reason R]
  halt [--reason R] [--terminate-running]                        unhalt [--reason R]
  control-state [ID]
  watch [--status S ...] [--type T] [--node N] [--service S] [--after-sequence N]
        [--keepalive-time-ms N] [--keepalive-timeout-ms N]
        transitions and control signals as they happen, one line each (--json: JSON lines),
        until interrupted; a broken stream is reopened with backoff after the last line printed
  demo    a throwaway server, inbox, agent and executor on this machine, to try actiongate

exit codes (operator commands and watch): 0 success, 2 usage, 3 not found,
  4 refused (permission or illegal transition), 5 server unreachable or silent, 1 anything else

credentials (operator commands, watch and executor):
  --token TOKEN            bearer token (env ACTIONGATE_TOKEN); --token-file FILE reads it from the file's first line
  --tls-ca FILE            connect over TLS, trusting the server certificate this CA signed
  --tls-cert FILE --tls-key FILE  present this client certificate (mutual TLS; needs --tls-ca)
`;

/** The part of USAGE about one command: its line and the indented lines under it. */
function usageSection(command: string): string | undefined {
  const lines = USAGE.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`  ${command} `));
  if (start === -1) return undefined;
  const end = lines.findIndex((line, i) => i > start && !/^ {5,}/.test(line));
  return `usage: actiongate ${command} [options]\n\n${lines.slice(start, end === -1 ? undefined : end).join('\n')}\n`;
}

// Each command's module is loaded when it runs: a quick `actiongate get` does not load the server.
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`actiongate ${PACKAGE_VERSION}\n`);
    return 0;
  }
  if (command !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    const help = commandHelp(command) ?? usageSection(command);
    if (help !== undefined) {
      process.stdout.write(help);
      return 0;
    }
  }
  switch (command) {
    case 'serve':
      await (await import('./serve.js')).serve(rest, process.env);
      return 0;
    case 'executor':
      return (await import('./executorCommand.js')).executorCommand(rest, process.env);
    case 'watch':
      return (await import('./watchCommand.js')).watchCommand(rest, process.env);
    case 'demo':
      return (await import('./demoCommand.js')).demoCommand(rest);
    case 'verify':
      return (await import('./verify.js')).verify(rest, process.env);
    case 'auth':
      return (await import('./authCommand.js')).authCommand(rest, process.env, (text) => process.stdout.write(text));
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default: {
      const { isOperatorCommand, operatorCommand } = await import('./operatorCommand.js');
      if (isOperatorCommand(command)) return operatorCommand(command, rest, process.env);
      process.stderr.write(`actiongate: unknown command "${command}"\n\n${USAGE}`);
      return 2;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof ConfigError || err instanceof StartupError || (err instanceof Error && err.name === 'TypeError' && 'code' in err)
      ? err.message
      : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`actiongate: ${message}\n`);
    // Exit 2 for a usage mistake (a flag, or a file a flag names), as for an unknown command.
    process.exitCode = err instanceof OpenModeRefusedError || err instanceof ConfigError ? 2 : 1;
  },
);
