// The bare grpc-js baseline for bench:killswitch: what pushing one message to open streams costs
// when nothing but grpc-js runs. Run (compiled by bash bench/run.sh):
//   node .bench-build/bench/killswitchBaseline.js --listen 127.0.0.1:PORT
//   --message-file FILE --reply-file FILE
//   /bench.v1.FanOut/Watch  server stream; the request is the stream's id (utf8). The server sends one
//                           1-byte READY message once the stream is registered, then waits.
//   /bench.v1.FanOut/Push   unary; the request is a stream id, or '*' for every open stream. The server
//                           writes the bytes of --message-file to those streams, then answers with the
//                           bytes of --reply-file. The bench writes a real encoded SubscribeResponse
//                           (a TERMINATE signal) and a real encoded TerminateResponse there, so the bytes
//                           on the wire are what actiongate sends.
// Messages are not decoded or encoded: the handlers do no work but grpc-js's own.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  Server, ServerCredentials, type ServerWritableStream, type ServiceDefinition, type handleServerStreamingCall, type handleUnaryCall,
} from '@grpc/grpc-js';

const identity = (bytes: Buffer): Buffer => bytes;
const method = (path: string, responseStream: boolean) => ({
  path,
  requestStream: false,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});

export const FAN_OUT_SERVICE = {
  watch: method('/bench.v1.FanOut/Watch', true),
  push: method('/bench.v1.FanOut/Push', false),
} satisfies ServiceDefinition;

export const READY = Buffer.from([0]);
export const EVERY_STREAM = '*';

function main(): void {
  const { values } = parseArgs({
    options: { listen: { type: 'string' }, 'message-file': { type: 'string' }, 'reply-file': { type: 'string' } },
    strict: true,
  });
  const listen = values.listen ?? '127.0.0.1:0';
  const message = values['message-file'] === undefined ? Buffer.alloc(96, 1) : readFileSync(values['message-file']);
  const reply = values['reply-file'] === undefined ? Buffer.alloc(0) : readFileSync(values['reply-file']);
  const streams = new Map<string, ServerWritableStream<Buffer, Buffer>>();

  // The same server options as the durable server (src/server/startServer.ts).
  const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  const watch: handleServerStreamingCall<Buffer, Buffer> = (call) => {
    const id = call.request.toString('utf8');
    streams.set(id, call);
    const drop = (): void => {
      if (streams.get(id) === call) streams.delete(id);
    };
    call.once('cancelled', drop);
    call.once('close', drop);
    call.write(READY);
  };
  const push: handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    const id = call.request.toString('utf8');
    if (id === EVERY_STREAM) {
      for (const stream of streams.values()) stream.write(message);
    } else {
      streams.get(id)?.write(message);
    }
    callback(null, reply);
  };
  server.addService(FAN_OUT_SERVICE, { watch, push });
  server.bindAsync(listen, ServerCredentials.createInsecure(), (err) => {
    if (err) {
      process.stderr.write(`killswitchBaseline: cannot listen on ${listen}: ${err.message}\n`);
      process.exit(1);
    }
  });
  const stop = (): void => {
    for (const stream of streams.values()) stream.end();
    const force = setTimeout(() => server.forceShutdown(), 2000).unref();
    server.tryShutdown(() => clearTimeout(force));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
