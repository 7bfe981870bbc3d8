#!/usr/bin/env bash
# Installs what is missing, builds, and starts `parley serve` on http://127.0.0.1:8080
# with the default config (examples/parley.json) and the embedded store in ./data.
# Extra arguments go to `parley serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh vectors   # build, plus the intent model's word vectors
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
exec build/parley serve "$@"
