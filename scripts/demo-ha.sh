#!/usr/bin/env bash
# The HA demo, from a fresh clone (npm run demo:ha): installs what is needed, makes sure Redis runs,
# builds, then runs scripts/demo-ha.mjs: the S3 test server and three dispatchers with HA on Redis,
# the fraud-detection job fed by its generator, the leader SIGKILLed once alerts flow, the failover
# time, and alerts that keep flowing. It ends everything it started (also on Ctrl-C and failure).
# Environment: see scripts/demo-ha.mjs (EBBFLOW_REDIS_URL, DEMO_RATE, DEMO_PARALLELISM, DEMO_HA_*).
set -euo pipefail
cd "$(dirname "$0")/.."
export EBBFLOW_REDIS_URL="${EBBFLOW_REDIS_URL:-redis://127.0.0.1:6379}"
bash scripts/ensure-deps.sh
bash scripts/ensure-redis.sh
echo "demo:ha: building" >&2
npm run --silent build >/dev/null
exec node scripts/demo-ha.mjs
