#!/usr/bin/env bash
# A start-serve-stop cycle under valgrind: parley serves a few requests, stops
# on SIGTERM, and must exit 0 with no memory error and no definite or
# indirect leak.
set -euo pipefail
bin=$1
work=$(mktemp -d)
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
printf '{"server":{"port":0,"accessLog":"off","threads":2}}\n' > "$work/parley.json"
valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
         --show-leak-kinds=definite,indirect --log-file="$work/vg.log" \
         "$bin" serve --config "$work/parley.json" --data-dir "$work/data" 2>"$work/err.log" &
pid=$!
for _ in $(seq 1 300); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/err.log" 2>/dev/null | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "parley did not start under valgrind"; cat "$work/err.log"; exit 1; }
for path in /healthz /metrics /no-such-route; do
    curl -s -o /dev/null "http://127.0.0.1:$port$path"
done
curl -s -o /dev/null -X POST --data-binary @<(head -c 2000000 /dev/zero) "http://127.0.0.1:$port/healthz"
kill -TERM $pid
set +e
wait $pid
rc=$?
set -e
if [ $rc -ne 0 ]; then
    echo "parley exited $rc under valgrind"; cat "$work/vg.log"; exit 1
fi
grep -q "ERROR SUMMARY: 0 errors" "$work/vg.log" || { cat "$work/vg.log"; exit 1; }
echo "valgrind: clean start-serve-stop ($(grep -o 'in use at exit: [0-9,]* bytes' "$work/vg.log"))"
