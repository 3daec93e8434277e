#!/usr/bin/env bash
# The test suite: unit, agreement, CLI, pool and example tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test "$@"
