import { readFileSync } from 'node:fs';
import type { Server } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';

/** Written by `npm run generate` from buf's build, imports included. */
const DESCRIPTOR_SETS = ['../gen/actiongate.binpb', '../gen/health.binpb'];

/**
 * Serves reflection from buf's own descriptors, one FileDescriptorProto per
 * file with its imports, so strict clients (grpcurl, Python's descriptor pool)
 * can resolve every type. proto-loader's descriptors merge files and drop
 * imports, which such clients refuse.
 */
export function addReflection(server: Server): void {
  const files: Uint8Array[] = [];
  for (const path of DESCRIPTOR_SETS) {
    const set = fromBinary(FileDescriptorSetSchema, readFileSync(new URL(path, import.meta.url)));
    for (const file of set.file) files.push(toBinary(FileDescriptorProtoSchema, file));
  }
  // ReflectionService reads only `fileDescriptorProtos` from each entry of a package definition.
  const definition = { files: { fileDescriptorProtos: files.map((bytes) => Buffer.from(bytes)) } };
  new ReflectionService(definition as never).addToServer(server);
}
