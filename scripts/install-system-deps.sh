#!/usr/bin/env bash
# Installs the Debian packages the test suite needs and npm cannot provide:
#   python3-grpcio python3-grpc-tools grpc-proto  the non-Node client of test/e2e/reflection-python.test.ts
#   postgresql                                    the PostgreSQL store's tests (started by scripts/start-test-postgres.sh)
#   chromium                                      the real browser of test/http/inbox.browser.test.ts
# Installs only what is missing; safe to run again. Needs root (or sudo) and Debian's apt.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(python3-grpcio python3-grpc-tools grpc-proto chromium)

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "install-system-deps: run as root (or with sudo) to install Debian packages" >&2
  exit 1
fi

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for package in "${PACKAGES[@]}"; do
  installed "$package" || missing+=("$package")
done
command -v pg_lsclusters >/dev/null 2>&1 || missing+=(postgresql)

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-system-deps: installing ${missing[*]}"
  "${as_root[@]}" apt-get -o Acquire::Retries=3 update
  "${as_root[@]}" apt-get -o Acquire::Retries=3 install -y --no-install-recommends "${missing[@]}"
else
  echo "install-system-deps: ${PACKAGES[*]} and postgresql already installed"
fi

# The tests use Debian's Python explicitly: the first python3 on PATH may be another one.
/usr/bin/python3 -c 'import grpc, grpc_tools.protoc, google.protobuf' || {
  echo "install-system-deps: /usr/bin/python3 cannot import grpc and grpc_tools" >&2
  exit 1
}
test -f /usr/share/grpc-proto/grpc/reflection/v1/reflection.proto || {
  echo "install-system-deps: /usr/share/grpc-proto/grpc/reflection/v1/reflection.proto is missing" >&2
  exit 1
}
command -v pg_lsclusters >/dev/null 2>&1 || {
  echo "install-system-deps: pg_lsclusters is still missing after installing postgresql" >&2
  exit 1
}
test -x /usr/bin/chromium || {
  echo "install-system-deps: /usr/bin/chromium is missing after installing chromium" >&2
  exit 1
}
