#!/usr/bin/env bash
# Generates the TypeScript stubs and the descriptor sets server reflection serves.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=./node_modules/.bin/buf
"$buf" generate
# After generate: its clean step empties src/gen.
"$buf" build --as-file-descriptor-set -o src/gen/actiongate.binpb
"$buf" build node_modules/grpc-health-check/proto --as-file-descriptor-set -o src/gen/health.binpb
