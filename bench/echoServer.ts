// A bare grpc-js unary server: the baseline the durable server is compared with.
// Run (compiled by bash bench/run.sh): node .bench-build/bench/echoServer.js --listen 127.0.0.1:PORT [--reply-file FILE ...]
//   /bench.v1.EchoService/Echo    answers with the request's own bytes.
//   /bench.v1.EchoService/Reply   answers with the bytes of the first --reply-file (the bench writes a
//                                  real encoded ProposeResponse there), so both directions carry
//                                  exactly what a Propose call carries.
//   /bench.v1.EchoService/ReplyN  answers with the bytes of the N-th --reply-file (from 0): one per
//                                  step of a lifecycle, each its real encoded response.
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

/** The method that answers with the bytes of the `index`-th --reply-file. */
export function replyPath(index: number): string {
  return `/bench.v1.EchoService/Reply${index}`;
}

function main(): void {
  const { values } = parseArgs({ options: { listen: { type: 'string' }, 'reply-file': { type: 'string', multiple: true } }, strict: true });
  const listen = values.listen ?? '127.0.0.1:0';
  const replies = (values['reply-file'] ?? []).map((file) => readFileSync(file));

  // The same server options as the durable server (src/server/startServer.ts).
  const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  const echo: handleUnaryCall<Buffer, Buffer> = (call, callback) => callback(null, call.request);
  const answer = (reply: Buffer): handleUnaryCall<Buffer, Buffer> => (_call, callback) => callback(null, reply);
  server.addService(ECHO_SERVICE, { echo, reply: answer(replies[0] ?? Buffer.alloc(0)) });
  if (replies.length > 0) {
    const numbered: ServiceDefinition = Object.fromEntries(replies.map((_, i) => [`reply${i}`, unary(replyPath(i))]));
    server.addService(numbered, Object.fromEntries(replies.map((bytes, i) => [`reply${i}`, answer(bytes)])));
  }
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
