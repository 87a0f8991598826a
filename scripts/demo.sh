#!/usr/bin/env bash
# The fraud-detection demo, from a fresh clone: installs what is needed, makes sure Redis runs,
# builds, starts the dispatcher, submits the fraud-detection job (parallelism 2, four input
# streams), starts the transaction generator and prints alerts as they arrive. Ctrl-C stops it all.
#
# With --mesos (npm run demo:mesos) the TaskManagers run as Mesos tasks: the script also starts the
# project's test Mesos master (two simulated agents that fetch the TaskManager runtime and the bundle
# into sandboxes under data/mesos-agents and run them as real processes) and points the dispatcher at it.
#
# Environment: EBBFLOW_REDIS_URL (redis://127.0.0.1:6379), EBBFLOW_PORT (8081), MESOS_PORT (5050),
# DEMO_RATE (transactions/s, 2000), DEMO_PARALLELISM (2), DEMO_ALERTS (stop after this many; 0 = never).
set -euo pipefail
cd "$(dirname "$0")/.."
MESOS=0
[ "${1:-}" = "--mesos" ] && MESOS=1
MESOS_PORT="${MESOS_PORT:-5050}"

export EBBFLOW_REDIS_URL="${EBBFLOW_REDIS_URL:-redis://127.0.0.1:6379}"
export EBBFLOW_PORT="${EBBFLOW_PORT:-8081}"
export EBBFLOW_URL="http://127.0.0.1:${EBBFLOW_PORT}"
RATE="${DEMO_RATE:-2000}"
PARALLELISM="${DEMO_PARALLELISM:-2}"
ALERTS="${DEMO_ALERTS:-0}"
PREFIX="ebbflow-demo"
STREAMS="$PREFIX:tx:0,$PREFIX:tx:1,$PREFIX:tx:2,$PREFIX:tx:3"
OUTPUT="$PREFIX:alerts"

bash scripts/ensure-deps.sh
bash scripts/ensure-redis.sh
echo "demo: building" >&2
npm run --silent build >/dev/null

mkdir -p data
pids=()
jobid=""
cleanup() {
  trap - EXIT INT TERM
  echo >&2
  if [ -n "$jobid" ]; then node dist/cli/main.js cancel "$jobid" >/dev/null 2>&1 || true; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo: stopped (dispatcher log: data/dispatcher.log, job logs: data/logs/)" >&2
}
trap cleanup EXIT INT TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$EBBFLOW_PORT") 2>/dev/null; then
  echo "demo: something already listens on port $EBBFLOW_PORT; stop it or set EBBFLOW_PORT" >&2
  exit 1
fi
rm_args=()
if [ "$MESOS" = 1 ]; then
  if (exec 3<>"/dev/tcp/127.0.0.1/$MESOS_PORT") 2>/dev/null; then
    echo "demo: something already listens on port $MESOS_PORT; stop it or set MESOS_PORT" >&2
    exit 1
  fi
  node dist/test/mesos-master/main.js --port "$MESOS_PORT" --agents 2 --heartbeat 5 --sandbox ./data/mesos-agents 2>data/mesos-master.log &
  pids+=($!)
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$MESOS_PORT") 2>/dev/null && break; sleep 0.1; done
  echo "demo: test Mesos master at http://127.0.0.1:$MESOS_PORT (state: http://127.0.0.1:$MESOS_PORT/master/state)" >&2
  rm_args=(--resource-manager mesos --mesos-master "127.0.0.1:$MESOS_PORT" -D mesos.resourcemanager.tasks.cpus=1 -D mesos.resourcemanager.tasks.mem=768)
fi
node dist/cli/main.js dispatcher --port "$EBBFLOW_PORT" --redis "$EBBFLOW_REDIS_URL" --data-dir ./data "${rm_args[@]}" >data/dispatcher.log 2>&1 &
pids+=($!)
up() { node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$EBBFLOW_URL/overview"; }
for _ in $(seq 1 100); do up && break; sleep 0.1; done
up || { echo "demo: the dispatcher did not start; see data/dispatcher.log" >&2; tail -20 data/dispatcher.log >&2; exit 1; }
echo "demo: dispatcher at $EBBFLOW_URL (web form: open it in a browser)" >&2

# Start from empty demo streams (only the demo's own keys are touched).
node -e "
  const { Redis } = require('ioredis');
  const r = new Redis(process.argv[1]);
  r.del(...process.argv[2].split(','), process.argv[3]).then(() => r.quit());
" "$EBBFLOW_REDIS_URL" "$STREAMS" "$OUTPUT"

jobid="$(node dist/cli/main.js submit dist/examples/fraud-detection.mjs --parallelism "$PARALLELISM" -- \
  --redis "$EBBFLOW_REDIS_URL" --input "$STREAMS" --output "$OUTPUT" --window-ms 10000 --threshold 10000 --max-out-of-orderness-ms 5000)"
echo "demo: submitted fraud detection as job $jobid at parallelism $PARALLELISM ($EBBFLOW_URL/jobs/$jobid)" >&2
echo "demo: rescale it while it runs, in place: node dist/cli/main.js scale $jobid 3   (or from the web form's job view)" >&2
if [ "$MESOS" = 1 ]; then
  echo "demo: TaskManagers run as Mesos tasks; sandboxes in data/mesos-agents, master log in data/mesos-master.log" >&2
fi

node dist/examples/fraud-detection/generator.js --redis "$EBBFLOW_REDIS_URL" --streams "$STREAMS" --count 0 --rate "$RATE" --seed 42 2>data/generator.log &
pids+=($!)
echo "demo: generating $RATE transactions/s; alerts appear once a 10 s window has closed (about 15-20 s)" >&2

monitor_args=(--redis "$EBBFLOW_REDIS_URL" --output "$OUTPUT" --from-start)
[ "$ALERTS" != "0" ] && monitor_args+=(--exit-after "$ALERTS")
node dist/examples/fraud-detection/alert-monitor.js "${monitor_args[@]}"
