#!/usr/bin/env bash
# Compiles src/ to dist/ (JavaScript and declarations) and copies the files the
# compiled code reads at run time: SQL migrations and reflection descriptors.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d src/gen ]; then
  echo "build: src/gen is missing; run npm run generate first" >&2
  exit 1
fi
rm -rf dist
./node_modules/.bin/tsc -p tsconfig.build.json
mkdir -p dist/store/sqlite/migrations
cp src/store/sqlite/migrations/*.sql dist/store/sqlite/migrations/
cp src/gen/*.binpb dist/gen/
