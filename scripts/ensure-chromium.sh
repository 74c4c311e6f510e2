#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (Playwright cannot download
# its own browsers here). Install it when it is missing and we are root; otherwise say how.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing Debian's chromium for the browser tests" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
else
  echo "ensure-chromium: /usr/bin/chromium is missing; install it (apt-get install chromium)" \
       "or the browser tests will be skipped" >&2
fi
