#!/usr/bin/env bash
# bench/lambda: what an invocation costs through Parley.
#   warm: p50/p99 latency per call (µs) and calls/s, 1 and 16 callers in
#         parallel, each with a keep-alive connection to the Invoke endpoint;
#   cold: time of the first call after start (process start + runtime init).
# Functions: a minimal C runtime (echo-runtime.c: latency is Parley's own
# overhead), the airline handler in Node under aws-lambda-ric, and the
# airline handler as the bash bootstrap (two curl processes per call).
# Usage: bench/lambda/run.sh [BUILD_DIR]  (default: build). Needs cc, libcurl,
# node, and `npm ci` done in examples/functions/airline-node.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:-$root/build}" && pwd)/parley
here=$root/bench/lambda
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/echo"
cc -O2 -o "$work/echo/bootstrap" "$here/echo-runtime.c" -lcurl
cc -O2 -o "$work/load" "$here/load.c" -lcurl -lpthread

cat > "$work/parley.json" <<JSON
{"server": {"port": 0, "threads": 4, "accessLog": "off", "logLevel": "info"},
 "functions": [
  {"name": "EchoC", "codeDir": "$work/echo", "reservedConcurrency": 16, "maxQueued": 1000},
  {"name": "AirlineNode", "codeDir": "$root/examples/functions/airline-node",
   "command": ["node_modules/.bin/aws-lambda-ric", "index.handler"], "reservedConcurrency": 16,
   "maxQueued": 1000},
  {"name": "AirlineBash", "codeDir": "$root/examples/functions/airline-bash",
   "handler": "function.handler", "reservedConcurrency": 16, "maxQueued": 1000}
 ]}
JSON

start() {
    rm -rf "$work/data" "$work/err.log"
    "$bin" serve --config "$work/parley.json" --data-dir "$work/data" 2>"$work/err.log" &
    pid=$!
    for _ in $(seq 1 200); do
        port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/err.log" 2>/dev/null | grep -o '[0-9]*$' || true)
        [ -n "$port" ] && return 0
        sleep 0.02
    done
    echo "parley did not start"; cat "$work/err.log"; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
invoke_time() {
    curl -s -o /dev/null -w '%{time_total}' -X POST -d '{"bench":true}' \
         "http://127.0.0.1:$port/2015-03-31/functions/$1/invocations"
}

echo "parley $("$bin" version 2>/dev/null || true) on $(nproc) cores; $(date -u +%FT%TZ)"
echo
printf '%-13s %8s %7s %9s %9s %9s\n' function parallel calls "p50 µs" "p99 µs" "calls/s"
start
for fn in EchoC AirlineNode AirlineBash; do
    "$work/load" "http://127.0.0.1:$port" "$fn" 256 16 >/dev/null # start the 16 workers
    for par in 1 16; do
        n=4000; [ "$fn" = AirlineNode ] && n=2000; [ "$fn" = AirlineBash ] && n=400
        read -r p50 p99 rate fails < <("$work/load" "http://127.0.0.1:$port" "$fn" "$n" "$par")
        printf '%-13s %8s %7s %9s %9s %9s\n' "$fn" "$par" "$n" "$p50" "$p99" "$rate"
    done
done
stop

echo
printf '%-13s %22s\n' function "cold start ms (median of 5)"
for fn in EchoC AirlineNode AirlineBash; do
    times=()
    for _ in 1 2 3 4 5; do
        start
        times+=("$(invoke_time "$fn")")
        stop
    done
    med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
    awk -v f="$fn" -v m="$med" 'BEGIN { printf "%-13s %22.1f\n", f, m * 1000 }'
done
