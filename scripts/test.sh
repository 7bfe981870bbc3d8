#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test, twice:
#   1. build/       -Wall -Wextra -Werror; unit suites (Check), integration tests, valgrind
#   2. build-asan/  the same suites under AddressSanitizer + UndefinedBehaviorSanitizer
# and checks that the C sources are clang-format clean. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
jobs=$(nproc)

echo "== format"
mapfile -t sources < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
clang-format --dry-run --Werror "${sources[@]}"

echo "== build (warnings are errors) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== build with ASan + UBSan and test"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPARLEY_WERROR=ON -DPARLEY_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$jobs")
