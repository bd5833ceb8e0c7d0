#!/usr/bin/env bash
# Starts the local PostgreSQL cluster for the tests (creating one if there is none),
# makes the current user a superuser role that connects over the local socket, and
# prints the URL the tests take in ACTIONGATE_TEST_DATABASE_URL. Needs root (or the
# postgres user's rights); safe to run again.
set -euo pipefail

if [ -z "$(pg_lsclusters --no-header 2>/dev/null)" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  pg_createcluster "$version" main >&2
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -1)
if [ "$status" != "online" ]; then
  pg_ctlcluster "$version" "$cluster" start >&2
fi

user=$(id -un)
as_postgres() {
  if [ "$user" = "postgres" ]; then "$@"; else su postgres -c "$(printf '%q ' "$@")"; fi
}
if [ "$(as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != "1" ]; then
  as_postgres createuser -p "$port" --superuser "$user" >&2
fi
echo "postgresql://${user}@localhost:${port}/postgres?host=/var/run/postgresql"
