#!/usr/bin/env bash
# Tests use SAHOD_TEST_DATABASE_URL when it is set (CI points it at the machine's server);
# if that server is local and down, start it. Without the variable the tests start an
# embedded PostgreSQL of their own, and nothing here is needed.
set -euo pipefail
url="${SAHOD_TEST_DATABASE_URL:-}"
[ -n "$url" ] || exit 0
case "$url" in
  *127.0.0.1*|*localhost*) ;;
  *) exit 0 ;;
esac
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1; then
  if command -v pg_ctlcluster >/dev/null; then
    version=$(ls /etc/postgresql | head -n1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
fi
