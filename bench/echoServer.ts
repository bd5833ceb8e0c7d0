// A bare grpc-js unary server: the baseline the durable server is compared with.
// Run (compiled by bash bench/run.sh): node .bench-build/bench/echoServer.js --listen 127.0.0.1:PORT [--reply-file FILE]
//   /bench.v1.EchoService/Echo   answers with the request's own bytes.
//   /bench.v1.EchoService/Reply  answers with the bytes of --reply-file (the bench writes a real
//                                 encoded ProposeResponse there), so both directions carry
//                                 exactly what a Propose call carries.
// Messages are not decoded: the handler does no work but grpc-js's own.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Server, ServerCredentials, type ServiceDefinition, type handleUnaryCall } from '@grpc/grpc-js';

const identity = (bytes: Buffer): Buffer => bytes;
const unary = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});

export const ECHO_SERVICE = {
  echo: unary('/bench.v1.EchoService/Echo'),
  reply: unary('/bench.v1.EchoService/Reply'),
} satisfies ServiceDefinition;

function main(): void {
  const { values } = parseArgs({ options: { listen: { type: 'string' }, 'reply-file': { type: 'string' } }, strict: true });
  const listen = values.listen ?? '127.0.0.1:0';
  const reply = values['reply-file'] === undefined ? Buffer.alloc(0) : readFileSync(values['reply-file']);

  // The same server options as the durable server (src/server/startServer.ts).
  const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  const echo: handleUnaryCall<Buffer, Buffer> = (call, callback) => callback(null, call.request);
  const answer: handleUnaryCall<Buffer, Buffer> = (_call, callback) => callback(null, reply);
  server.addService(ECHO_SERVICE, { echo, reply: answer });
  server.bindAsync(listen, ServerCredentials.createInsecure(), (err) => {
    if (err) {
      process.stderr.write(`echoServer: cannot listen on ${listen}: ${err.message}\n`);
      process.exit(1);
    }
  });
  const stop = (): void => {
    const force = setTimeout(() => server.forceShutdown(), 2000).unref();
    server.tryShutdown(() => clearTimeout(force));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
