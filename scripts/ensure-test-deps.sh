#!/usr/bin/env bash
# Run by `npm test` (as its pretest step): makes sure a fresh Debian/Ubuntu machine has what the
# tests need — the npm dependencies, a redis-server binary (the integration tests start their own),
# Debian's chromium (the web-form test drives it; never a downloaded browser) and iproute2's `ip`
# (the network-namespace test). Installs with apt-get when running as root; otherwise it says what
# to install and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/ensure-redis.sh --binary-only
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing+=(iproute2)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-test-deps: installing ${missing[*]} (apt-get)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "ensure-test-deps: the tests need Debian's ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' and try again" >&2
    exit 1
  fi
fi
