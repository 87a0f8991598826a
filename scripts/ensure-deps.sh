#!/usr/bin/env bash
# Installs the npm dependencies (npm ci from package-lock.json) when node_modules is missing or
# older than the lock file, after checking that Node.js 20+ is there.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1; then
  echo "ensure-deps: Node.js 20 or newer is needed (Debian: apt-get install nodejs npm, or use nvm)." >&2
  exit 1
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then echo "ensure-deps: Node.js $(node -v) is too old; ebbflow needs 20 or newer." >&2; exit 1; fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-deps: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
