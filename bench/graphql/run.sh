#!/usr/bin/env bash
# bench/graphql: Parley's /graphql against graphql-js serving the same schema and data.
#
#   bench/graphql/run.sh [PARLEY_BIN]        (default: build/parley)
#
# Starts Parley (bench config: the FlowerShop bot, access log off), drives one
# conversation to 100 turns (GraphQL postText and Lex V1 PostText, alternating),
# exports Parley's data with one GraphQL query, and starts bench/graphql/server.mjs
# (node:http + graphql-js, nothing else) on the same SDL (graphql/parley.graphql)
# with that data in memory. Both keep parsed and validated documents in a cache
# (Parley's graphql.cacheEntries; an LRU of 512 in server.mjs, NODE_CACHE=0 turns
# it off) and neither caches results. Both must give the same answer to every row before
# anything is timed (prepare.mjs compare). Then `wrk` POSTs each row's request
# (post.lua) to each server, ROUNDS times alternating which goes first, and the
# medians are printed side by side: requests/s, p99 latency, the ratio of
# requests/s (Parley / graphql-js), and each server's CPU time per request
# (user + system from /proc), which a shared machine disturbs far less.
#   typename       { __typename }: each server's fixed cost, what the others add to
#   small          { bot(name) { name locale intents { name } } }
#   conversation   a conversation with 100 turns, 15 fields each, with cursors
#   introspection  graphql-js getIntrospectionQuery() (what GraphiQL sends)
# Environment: DURATION (10s), CONNECTIONS (32), THREADS (wrk's, 2), ROUNDS (3),
# PARLEY_THREADS (Parley's server.threads, 2), NODE_WORKERS (graphql-js processes
# under node:cluster, default the same as PARLEY_THREADS), NODE_CACHE (1), TURNS (100).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
parley=${1:-$src/build/parley}
duration=${DURATION:-10s}
conns=${CONNECTIONS:-32}
wthreads=${THREADS:-2}
pthreads=${PARLEY_THREADS:-2}
nworkers=${NODE_WORKERS:-$pthreads}
rounds=${ROUNDS:-3}
token=bench-token-$RANDOM$RANDOM

for tool in wrk curl node; do
    command -v "$tool" >/dev/null || { echo "bench/graphql: $tool is not installed (scripts/install-deps.sh bench)" >&2; exit 2; }
done
[ -x "$parley" ] || { echo "bench/graphql: no parley binary at $parley (build first)" >&2; exit 2; }
[ -d "$here/node_modules/graphql" ] || { echo "bench/graphql: run npm ci in $here first (scripts/install-deps.sh bench)" >&2; exit 2; }

work=$(mktemp -d /tmp/parley-bench-graphql.XXXXXX)
parley_pid= node_pid=
cleanup() {
    [ -n "$parley_pid" ] && kill "$parley_pid" 2>/dev/null && wait "$parley_pid" 2>/dev/null || true
    [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT INT TERM

. "$src/bench/lib.sh" # free_port, wait_http

# ---- Parley ----
pport=$(free_port)
cat > "$work/parley.json" <<JSON
{
  "server": {"host": "127.0.0.1", "port": $pport, "threads": $pthreads, "accessLog": "off", "logLevel": "warn"},
  "bots": [{"file": "$src/examples/bots/flowers.json", "aliases": {"prod": "\$LATEST"}}]
}
JSON
PARLEY_ADMIN_TOKEN=$token "$parley" serve --config "$work/parley.json" --data-dir "$work/data" 2>"$work/parley.log" &
parley_pid=$!
wait_http "http://127.0.0.1:$pport/healthz"
node "$here/prepare.mjs" seed "http://127.0.0.1:$pport" "$token" "$work"

# ---- graphql-js ----
nport=$(free_port)
node "$here/server.mjs" --schema "$src/graphql/parley.graphql" --data "$work/data.json" \
    --port "$nport" --workers "$nworkers" $([ "${NODE_CACHE:-1}" = 0 ] && echo --no-cache) \
    >"$work/node.log" 2>&1 &
node_pid=$!
wait_http "http://127.0.0.1:$nport/graphql"
node "$here/prepare.mjs" compare "http://127.0.0.1:$pport" "http://127.0.0.1:$nport" "$token"

# CPU time (clock ticks, user + system) used so far by a server's processes and threads.
cpu_ticks() { # pid
    local total=0 t f
    for p in "$1" $(pgrep -P "$1" || true); do
        for t in /proc/"$p"/task/*/stat; do
            read -r -a f < "$t" || continue
            total=$((total + f[13] + f[14]))
        done
    done
    echo "$total"
}
hz=$(getconf CLK_TCK)

# wrk → "requests/s p99_ms cpu_us_per_request"
run_wrk() { # pid url body.json [authorization]
    local out before after rps p99 reqs errs status timeouts
    before=$(cpu_ticks "$1")
    out=$(wrk -t"$wthreads" -c"$conns" -d"$duration" --timeout 10s -s "$here/post.lua" "$2" -- "$3" "${4:-}")
    after=$(cpu_ticks "$1")
    read -r _ rps p99 reqs errs status timeouts < <(grep '^RESULT ' <<<"$out")
    [ "$errs" = 0 ] || echo "bench/graphql: $errs errors ($status non-2xx, $timeouts timeouts)" \
        "from $([ "$1" = "$parley_pid" ] && echo Parley || echo graphql-js), $(basename "$3" .json)" >&2
    awk -v r="$rps" -v p="$p99" -v t=$((after - before)) -v hz="$hz" -v n="$reqs" \
        'BEGIN{printf "%s %.3f %.1f\n", r, p/1000, t * 1e6 / hz / n}'
}

median() { sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
col() { awk -v n="$1" '{print $n}' | median; }

echo
echo "bench/graphql: wrk -t$wthreads -c$conns -d$duration, POST /graphql, median of $rounds;"
echo "Parley server.threads=$pthreads; graphql-js $(node -p "require('$here/node_modules/graphql/package.json').version") on Node $(node --version), $nworkers process(es), document cache ${NODE_CACHE:-1}"
echo
printf '%-13s | %12s %12s %7s | %10s %10s | %17s\n' row "parley req/s" "gql-js req/s" ratio \
    "parley p99" "gql-js p99" "CPU us/req p / js"
printf '%s\n' "--------------+--------------------------------------+-----------------------+------------------"
row() { # name
    local p="" n="" r
    local body="$work/$1.json" purl="http://127.0.0.1:$pport/graphql" nurl="http://127.0.0.1:$nport/graphql"
    for r in $(seq 1 "$rounds"); do
        if [ $((r % 2)) = 1 ]; then
            p+="$(run_wrk "$parley_pid" "$purl" "$body" "Bearer $token")"$'\n'
            n+="$(run_wrk "$node_pid" "$nurl" "$body")"$'\n'
        else
            n+="$(run_wrk "$node_pid" "$nurl" "$body")"$'\n'
            p+="$(run_wrk "$parley_pid" "$purl" "$body" "Bearer $token")"$'\n'
        fi
    done
    p="$(col 1 <<<"${p%$'\n'}") $(col 2 <<<"${p%$'\n'}") $(col 3 <<<"${p%$'\n'}")"
    n="$(col 1 <<<"${n%$'\n'}") $(col 2 <<<"${n%$'\n'}") $(col 3 <<<"${n%$'\n'}")"
    set -- "$1" $p $n
    printf '%-13s | %12.0f %12.0f %6.1fx | %8.2fms %8.2fms | %7.1f / %7.1f\n' "$1" "$2" "$5" \
        "$(awk -v a="$2" -v b="$5" 'BEGIN{printf "%.2f", a/b}')" "$3" "$6" "$4" "$7"
}
row typename
row small
row conversation
row introspection
