#!/usr/bin/env bash
# A Docker engine of the tests' own: `engine.sh start` starts dockerd on a socket and a data root
# of its own (never the default socket, so that nothing else on the machine — nor the rest of the
# test suite — finds it and switches to the compose runtime), with Docker Compose as a CLI plugin
# in a docker config folder of its own, and prints the variables the compose tests read:
#
#   eval "$(test/images/engine.sh start)"    # PIZZA_LAB_TEST_DOCKER_HOST, PIZZA_LAB_TEST_DOCKER_CONFIG
#   test/images/engine.sh stop               # stops the dockerd it started (by its pid)
#
# Needs root and Debian's docker.io package (dockerd, containerd, runc). The data root (images,
# volumes) is kept in the cache between runs, so stand-in images are built once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pizza-lab/test-engine"
# Sockets have a short path limit: the socket and the engine's runtime state live under /tmp.
run="${TMPDIR:-/tmp}/pizza-lab-test-engine-$(id -u)"
socket="$run/docker.sock"
pidfile="$run/dockerd.pid"

answers() { DOCKER_HOST="unix://$socket" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

case "${1:-}" in
  start)
    command -v dockerd >/dev/null 2>&1 || { echo "no dockerd: install Debian's docker.io package (apt-get install docker.io)" >&2; exit 1; }
    mkdir -p "$cache/data" "$cache/config/cli-plugins" "$run/exec"
    ln -sf "$("$here/compose.sh")" "$cache/config/cli-plugins/docker-compose"
    if ! answers; then
      nohup dockerd --host "unix://$socket" --data-root "$cache/data" --exec-root "$run/exec" --pidfile "$pidfile" \
        >"$run/dockerd.log" 2>&1 </dev/null &
      for _ in $(seq 1 120); do answers && break; sleep 0.25; done
      answers || { echo "dockerd did not answer on $socket; its log:" >&2; tail -20 "$run/dockerd.log" >&2; exit 1; }
    fi
    echo "export PIZZA_LAB_TEST_DOCKER_HOST=unix://$socket"
    echo "export PIZZA_LAB_TEST_DOCKER_CONFIG=$cache/config"
    ;;
  stop)
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.25; done
    echo "dockerd ($pid) did not stop in 30 s" >&2
    exit 1
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
