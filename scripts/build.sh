#!/usr/bin/env bash
# Compiles src/ to dist/ (JavaScript and declarations) and copies the files the
# compiled code reads at run time: SQL migrations and reflection descriptors.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d src/gen ]; then
  echo "build: src/gen is missing; run npm run generate first" >&2
  exit 1
fi
# Built beside dist/ and swapped in, so a process starting meanwhile finds a whole build.
out=$(mktemp -d dist.building.XXXXXX)
trap 'rm -rf "$out"' EXIT
./node_modules/.bin/tsc -p tsconfig.build.json --outDir "$out"
mkdir -p "$out/store/sqlite/migrations"
cp src/store/sqlite/migrations/*.sql "$out/store/sqlite/migrations/"
mkdir -p "$out/store/postgres/migrations"
cp src/store/postgres/migrations/*.sql "$out/store/postgres/migrations/"
cp src/gen/*.binpb "$out/gen/"
old=$(mktemp -d dist.old.XXXXXX)
[ -d dist ] && mv dist "$old/"
mv "$out" dist
rm -rf "$old"
