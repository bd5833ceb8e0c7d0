import { ConfigError } from './loadConfig.js';
import { serve } from './serve.js';

const USAGE = `usage: actiongate <command> [options]

commands:
  serve      run the server
             --listen HOST:PORT      (default 127.0.0.1:50051, env ACTIONGATE_LISTEN)
             --data-dir DIR          (default ./data, env ACTIONGATE_DATA_DIR)
             --catalog FILE          extra action types, a JSON array of {type, risk, description}
             --max-attempts N        (default 3)
             --max-payload-bytes N   (default 65536)
             --sweep-interval-ms N   how often expired leases are reclaimed (default 1000)
             --log-level LEVEL       (default info)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await serve(rest, process.env);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`actiongate: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof ConfigError || (err instanceof Error && err.name === 'TypeError' && 'code' in err)
      ? err.message
      : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`actiongate: ${message}\n`);
    process.exitCode = 1;
  },
);
