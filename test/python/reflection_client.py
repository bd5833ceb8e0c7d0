#!/usr/bin/python3
"""A gRPC client that is not Node: discovers actiongate through server reflection alone.

Usage: /usr/bin/python3 reflection_client.py HOST:PORT

It knows only the reflection and health protos that Debian ships in
/usr/share/grpc-proto (compiled here into a descriptor set, so no generated
`grpc` package can shadow the real one). Everything about actiongate comes
from the server: it lists the services, fetches their files with every import,
builds a descriptor pool from them (which fails if google.protobuf.Timestamp
or Struct cannot be resolved), makes ProposeRequest and GetActionRequest
messages dynamically, runs them, and calls grpc.health.v1.Health/Check.
Prints one JSON object on stdout.
"""

import json
import os
import subprocess
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

GRPC_PROTO = "/usr/share/grpc-proto"
REFLECTION = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
TIMEOUT = 10


def message_class(pool, name):
    descriptor = pool.FindMessageTypeByName(name)
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def local_pool():
    """Reflection and health messages, from Debian's grpc-proto through grpc_tools.protoc."""
    with tempfile.TemporaryDirectory() as out:
        descriptor_set = os.path.join(out, "grpc.binpb")
        subprocess.run(
            [sys.executable, "-m", "grpc_tools.protoc", "-I" + GRPC_PROTO, "--descriptor_set_out=" + descriptor_set,
             "grpc/reflection/v1/reflection.proto", "grpc/health/v1/health.proto"],
            check=True, cwd=out,
        )
        with open(descriptor_set, "rb") as f:
            files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    return pool


def reflect(channel, pool, requests):
    """Sends reflection requests on one stream and returns the responses in order."""
    request_class = message_class(pool, "grpc.reflection.v1.ServerReflectionRequest")
    response_class = message_class(pool, "grpc.reflection.v1.ServerReflectionResponse")
    call = channel.stream_stream(REFLECTION, request_serializer=request_class.SerializeToString,
                                 response_deserializer=response_class.FromString)
    messages = [request_class(**fields) for fields in requests]
    responses = list(call(iter(messages), timeout=TIMEOUT))
    for response in responses:
        if response.WhichOneof("message_response") == "error_response":
            raise RuntimeError("reflection error %d: %s" % (response.error_response.error_code, response.error_response.error_message))
    return responses


def fetch_files(channel, pool, symbols):
    """Every file defining `symbols`, and every file those import, as FileDescriptorProtos by name."""
    files = {}
    for response in reflect(channel, pool, [{"file_containing_symbol": s} for s in symbols]):
        for raw in response.file_descriptor_response.file_descriptor_proto:
            file = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files[file.name] = file
    missing = {dep for f in files.values() for dep in f.dependency if dep not in files}
    while missing:
        for response in reflect(channel, pool, [{"file_by_filename": name} for name in sorted(missing)]):
            for raw in response.file_descriptor_response.file_descriptor_proto:
                file = descriptor_pb2.FileDescriptorProto.FromString(raw)
                files[file.name] = file
        still = {dep for f in files.values() for dep in f.dependency if dep not in files}
        if still & missing:
            raise RuntimeError("the server cannot serve imported files: %s" % sorted(still & missing))
        missing = still
    return files


def reflected_pool(files):
    """A pool holding only what the server sent, added imports first."""
    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(name):
        if name in added:
            return
        for dep in files[name].dependency:
            add(dep)
        pool.Add(files[name])
        added.add(name)

    for name in sorted(files):
        add(name)
    return pool, sorted(added)


def enum_name(message, field):
    descriptor = message.DESCRIPTOR.fields_by_name[field].enum_type
    return descriptor.values_by_number[getattr(message, field)].name


def unary(channel, pool, method_name, request):
    method = pool.FindMethodByName(method_name)
    output_class = message_class(pool, method.output_type.full_name)
    path = "/%s/%s" % (method.containing_service.full_name, method.name)
    call = channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=output_class.FromString)
    return call(request, timeout=TIMEOUT)


def main(address):
    channel = grpc.insecure_channel(address)
    grpc.channel_ready_future(channel).result(timeout=TIMEOUT)
    local = local_pool()

    listed = reflect(channel, local, [{"list_services": ""}])[0]
    services = sorted(s.name for s in listed.list_services_response.service)

    files = fetch_files(channel, local, ["actiongate.v1.ActionService", "grpc.health.v1.Health"])
    pool, file_names = reflected_pool(files)
    timestamp = pool.FindMessageTypeByName("google.protobuf.Timestamp")
    struct = pool.FindMessageTypeByName("google.protobuf.Struct")
    action = pool.FindMessageTypeByName("actiongate.v1.Action")
    propose = pool.FindMethodByName("actiongate.v1.ActionService.Propose")

    request = message_class(pool, propose.input_type.full_name)()
    request.action_type = "collect_diagnostics"
    request.node = "python-node"
    request.service = "python-service"
    request.confidence = 0.5
    request.payload.fields["asked_by"].string_value = "python"
    request.payload.fields["lines"].number_value = 200
    proposed = unary(channel, pool, "actiongate.v1.ActionService.Propose", request).action

    get_request = message_class(pool, "actiongate.v1.GetActionRequest")(action_id=proposed.action_id)
    fetched = unary(channel, pool, "actiongate.v1.ActionService.GetAction", get_request).action

    health_request_class = message_class(local, "grpc.health.v1.HealthCheckRequest")
    health_response_class = message_class(local, "grpc.health.v1.HealthCheckResponse")
    check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=health_request_class.SerializeToString,
                                response_deserializer=health_response_class.FromString)
    health = {}
    for service in ["", "actiongate.v1.ActionService"]:
        health[service] = enum_name(check(health_request_class(service=service), timeout=TIMEOUT), "status")

    print(json.dumps({
        "services": services,
        "files": file_names,
        "resolved": {
            "timestamp": timestamp.full_name,
            "struct": struct.full_name,
            "created_at_type": action.fields_by_name["created_at"].message_type.full_name,
            "payload_type": action.fields_by_name["payload"].message_type.full_name,
            "propose_input": propose.input_type.full_name,
            "propose_output": propose.output_type.full_name,
        },
        "proposed": {
            "action_id": proposed.action_id,
            "status": enum_name(proposed, "status"),
            "risk_level": enum_name(proposed, "risk_level"),
            "proposed_by": proposed.proposed_by,
            "node": proposed.node,
            "created_at_seconds": proposed.created_at.seconds,
            "payload": {k: (v.string_value or v.number_value) for k, v in proposed.payload.fields.items()},
        },
        "fetched": {
            "action_id": fetched.action_id,
            "status": enum_name(fetched, "status"),
            "history": [[enum_name(e, "from"), enum_name(e, "to"), e.actor] for e in fetched.history],
        },
        "health": health,
    }))
    channel.close()


if __name__ == "__main__":
    main(sys.argv[1])
