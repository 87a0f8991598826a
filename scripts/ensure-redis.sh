#!/usr/bin/env bash
# Makes sure a Redis answers at EBBFLOW_REDIS_URL (default redis://127.0.0.1:6379).
# If nothing answers on a local address, starts Debian's redis-server there (no persistence),
# installing it with apt-get first when it is missing and we are root.
# With --binary-only it only makes sure redis-server is installed (the tests start their own).
set -euo pipefail

url="${EBBFLOW_REDIS_URL:-redis://127.0.0.1:6379}"
hostport="${url#redis://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$hostport" ] && port=6379

ping_redis() {
  # A PING over bash's /dev/tcp in a subshell, so no redis-cli is needed.
  local reply
  reply=$( (exec 3<>"/dev/tcp/$host/$port" && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3) 2>/dev/null ) || return 1
  [[ "$reply" == +PONG* ]]
}

install_redis() {
  command -v redis-server >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-redis: installing Debian's redis-server" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "ensure-redis: redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server) or point EBBFLOW_REDIS_URL at a running Redis." >&2
    exit 1
  fi
}

if [ "${1:-}" = "--binary-only" ]; then install_redis; exit 0; fi

if ping_redis; then echo "ensure-redis: Redis answers at $host:$port" >&2; exit 0; fi
case "$host" in
  127.*|localhost) ;;
  *) echo "ensure-redis: nothing answers at $host:$port and it is not a local address; start that Redis or change EBBFLOW_REDIS_URL." >&2; exit 1 ;;
esac
install_redis
echo "ensure-redis: starting redis-server on 127.0.0.1:$port" >&2
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir /tmp --logfile "/tmp/ebbflow-redis-$port.log"
for _ in $(seq 1 50); do ping_redis && exit 0; sleep 0.1; done
echo "ensure-redis: redis-server did not answer on 127.0.0.1:$port; see /tmp/ebbflow-redis-$port.log" >&2
exit 1
