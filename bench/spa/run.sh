#!/usr/bin/env bash
# bench/spa: Parley's static hosting against nginx on the same machine.
#
#   bench/spa/run.sh [PARLEY_BIN]        (default: build/parley)
#
# Deploys web/demo as a release with `parley deploy`, serves that same
# release folder from Parley (access log off) and from Debian's nginx
# (2 workers, sendfile on, access_log off, try_files $uri /index.html), both
# on loopback, and runs `wrk -t2 -c64 -d10s` against each for three rows:
#   asset     a 1-2 KB fingerprinted asset (assets/style.<hash>.css)
#   deeplink  a client-side route (/flights/AA101): Parley's fallback, nginx's try_files
#   304       revalidating / with its ETag (If-None-Match)
# and prints requests/s and p99 latency side by side with the ratio
# (Parley / nginx for requests/s: >= 1.0 means at least as fast), plus the
# server's own CPU time per request (user + system, from /proc), which is
# far less sensitive than requests/s to other load on a shared machine.
# Each row is run ROUNDS times per server (default 3, alternating which goes
# first) and the medians are printed: on a shared machine one 10 s run is noise.
# Environment: DURATION (10s), CONNECTIONS (64), THREADS (2), ROUNDS (3),
# PARLEY_THREADS (Parley's server.threads, default 4 as in examples/parley.json).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
parley=${1:-$src/build/parley}
duration=${DURATION:-10s}
conns=${CONNECTIONS:-64}
wthreads=${THREADS:-2}
pthreads=${PARLEY_THREADS:-4}
rounds=${ROUNDS:-3}

for tool in nginx wrk curl node; do
    command -v "$tool" >/dev/null || { echo "bench/spa: $tool is not installed (apt-get install -y nginx wrk curl)" >&2; exit 2; }
done
[ -x "$parley" ] || { echo "bench/spa: no parley binary at $parley (build first)" >&2; exit 2; }

work=$(mktemp -d /tmp/parley-bench-spa.XXXXXX)
chmod 755 "$work" # nginx workers run as another user
parley_pid= nginx_pid=
cleanup() {
    [ -n "$parley_pid" ] && kill "$parley_pid" 2>/dev/null && wait "$parley_pid" 2>/dev/null || true
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT INT TERM

. "$src/bench/lib.sh" # free_port, wait_http

# ---- Parley ----
pport=$(free_port)
cat > "$work/parley.json" <<JSON
{
  "server": {"host": "127.0.0.1", "port": $pport, "threads": $pthreads, "accessLog": "off", "logLevel": "warn"},
  "sites": [{"name": "demo", "root": "$src/web/demo"}]
}
JSON
"$parley" deploy demo "$src/web/demo" --config "$work/parley.json" --data-dir "$work/data" >/dev/null
"$parley" serve --config "$work/parley.json" --data-dir "$work/data" 2>"$work/parley.log" &
parley_pid=$!
wait_http "http://127.0.0.1:$pport/healthz"

# ---- nginx, on the very same release folder ----
release=$(readlink -f "$work/data/sites/demo/current")/files
nport=$(free_port)
mkdir -p "$work/nginx-tmp"
sed -e "s|@WORK@|$work|g" -e "s|@PORT@|$nport|g" -e "s|@ROOT@|$release|g" \
    "$here/nginx.conf.in" > "$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
wait_http "http://127.0.0.1:$nport/"

asset=/$(cd "$release" && ls assets/style.*.css)
deeplink=/flights/AA101
size=$(stat -c %s "$release$asset")

# Check both answer each row the same way before timing anything.
check() { # name url expected-status [header]
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' ${4:+-H "$4"} "$2")
    [ "$code" = "$3" ] || { echo "bench/spa: $1 $2 answered $code, expected $3" >&2; exit 1; }
}
etag() { curl -sI "$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}'; }
petag=$(etag "http://127.0.0.1:$pport/")
netag=$(etag "http://127.0.0.1:$nport/")
for side in "parley $pport $petag" "nginx $nport $netag"; do
    set -- $side
    check "$1" "http://127.0.0.1:$2$asset" 200
    check "$1" "http://127.0.0.1:$2$deeplink" 200
    check "$1" "http://127.0.0.1:$2/" 304 "If-None-Match: $3"
done

# CPU time (clock ticks, user + system) used so far by a server's processes and threads.
cpu_ticks() { # pid...
    local total=0 t f
    for p in "$@" $(pgrep -P "$1" || true); do
        for t in /proc/"$p"/task/*/stat; do
            read -r -a f < "$t" || continue
            # fields after the command name, which may contain spaces: utime is 14, stime 15
            total=$((total + f[13] + f[14]))
        done
    done
    echo "$total"
}
hz=$(getconf CLK_TCK)

# wrk → "requests/s p99_ms cpu_us_per_request"
run_wrk() { # pid url [header]
    local out rps p99 unit before after reqs
    local pid=$1
    shift
    before=$(cpu_ticks "$pid")
    out=$(wrk -t"$wthreads" -c"$conns" -d"$duration" --latency ${2:+-H "$2"} "$1")
    after=$(cpu_ticks "$pid")
    reqs=$(awk '/requests in/{print $1}' <<<"$out")
    rps=$(awk '/^Requests\/sec:/{print $2}' <<<"$out")
    p99=$(awk '$1=="99%"{print $2}' <<<"$out")
    if grep -q 'Non-2xx or 3xx' <<<"$out"; then echo "bench/spa: errors from $1" >&2; fi
    case "$p99" in
        *us) p99=$(awk -v v="${p99%us}" 'BEGIN{printf "%.3f", v/1000}') ;;
        *ms) p99=${p99%ms} ;;
        *s) p99=$(awk -v v="${p99%s}" 'BEGIN{printf "%.3f", v*1000}') ;;
    esac
    echo "$rps $p99 $(awk -v t=$((after - before)) -v hz="$hz" -v r="$reqs" 'BEGIN{printf "%.2f", t * 1e6 / hz / r}')"
}

echo "bench/spa: wrk -t$wthreads -c$conns -d$duration --latency, median of $rounds; Parley server.threads=$pthreads, nginx worker_processes 2"
echo "asset $asset ($size bytes), deep link $deeplink, 304 = GET / with If-None-Match"
echo
printf '%-9s | %13s %13s %7s | %11s %11s | %17s\n' row "parley req/s" "nginx req/s" ratio \
    "parley p99" "nginx p99" "CPU us/req p / n"
printf '%s\n' "----------+-------------------------------------+-------------------------+------------------"
median() { sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
col() { # n: the n-th field of each line on stdin, median
    awk -v n="$1" '{print $n}' | median
}
row() { # name path [header-for-parley] [header-for-nginx]
    local p="" n="" r
    # ROUNDS runs each, alternating which server goes first; the medians are printed.
    for r in $(seq 1 "$rounds"); do
        if [ $((r % 2)) = 1 ]; then
            p+="$(run_wrk "$parley_pid" "http://127.0.0.1:$pport$2" "${3:-}")"$'\n'
            n+="$(run_wrk "$nginx_pid" "http://127.0.0.1:$nport$2" "${4:-}")"$'\n'
        else
            n+="$(run_wrk "$nginx_pid" "http://127.0.0.1:$nport$2" "${4:-}")"$'\n'
            p+="$(run_wrk "$parley_pid" "http://127.0.0.1:$pport$2" "${3:-}")"$'\n'
        fi
    done
    p="$(col 1 <<<"${p%$'\n'}") $(col 2 <<<"${p%$'\n'}") $(col 3 <<<"${p%$'\n'}")"
    n="$(col 1 <<<"${n%$'\n'}") $(col 2 <<<"${n%$'\n'}") $(col 3 <<<"${n%$'\n'}")"
    set -- "$1" $p $n
    printf '%-9s | %13.0f %13.0f %7.2f | %9.2fms %9.2fms | %7.2f / %7.2f\n' "$1" "$2" "$5" \
        "$(awk -v a="$2" -v b="$5" 'BEGIN{printf "%.2f", a/b}')" "$3" "$6" "$4" "$7"
}
row asset "$asset"
row deeplink "$deeplink"
row 304 / "If-None-Match: $petag" "If-None-Match: $netag"
