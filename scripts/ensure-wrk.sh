#!/usr/bin/env bash
# The HTTP benchmarks (bench/read_api.py, bench/api_under_load.py) drive load with wrk when
# it is installed: a C client on one core, where the Python fallback spends more CPU
# parsing responses than the server does making them. Install it when missing and we are
# root; otherwise say how (the benchmarks still run, with the weaker client).
set -euo pipefail
if command -v wrk >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "ensure-wrk: installing Debian's wrk for the HTTP benchmarks" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
else
  echo "ensure-wrk: wrk is missing; install it (apt-get install wrk) or the HTTP" \
       "benchmarks fall back to a Python client" >&2
fi
