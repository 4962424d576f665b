#!/usr/bin/env bash
# The adversarial suite at the issue's full size (100 MiB line, 1 GiB of random bytes,
# a 1 GiB gzip bomb) against a release build, on loopback only. The test suite runs the
# same cases scaled down. Prints each case's resident memory and the summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE_ADVERSARIAL_FULL=1 cargo test --release -p sluice --test e2e adversarial -- --nocapture 2>&1 \
  | grep -E "^adversarial:|test result|panicked"
