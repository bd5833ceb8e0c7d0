#!/usr/bin/env bash
# Runs one benchmark as compiled JavaScript with plain node: bash bench/run.sh NAME [options for the bench]
#   NAME is lifecycle, killswitch or postgres; the options go to .bench-build/bench/NAME.js unchanged.
# First builds dist/ from the sources (the actiongate server the bench starts runs from there), then
# compiles bench/, with the src/ and test/support files it imports, into .bench-build/ (same layout as
# the repository) and copies the .mjs preload the killswitch servers load next to the compiled bench.
# Build output goes to stderr, so stdout carries only the bench's JSON report.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-}"
case "$name" in
  lifecycle | killswitch | postgres) shift ;;
  *)
    echo "usage: bash bench/run.sh lifecycle|killswitch|postgres [options]" >&2
    exit 64
    ;;
esac
bash scripts/build.sh >&2
rm -rf .bench-build
./node_modules/.bin/tsc -p bench/tsconfig.json >&2
cp bench/*.mjs .bench-build/bench/
exec node ".bench-build/bench/$name.js" "$@"
