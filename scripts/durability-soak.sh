#!/usr/bin/env bash
# The durability proofs at full size (the test suite runs them scaled down):
#   - Elasticsearch (noida-db) down for 10 minutes under a steady acknowledged Beats flow:
#     nothing acknowledged lost, peak RSS, the backlog drained;
#   - 100 SIGKILLs at random moments into a disk-buffered Elasticsearch sink.
# Loopback only; bounded in time (about 20 minutes). Prints the OUTAGE and DURABILITY
# lines the tests print; their numbers go into docs/BENCHMARKS.md.
#
#   bash scripts/durability-soak.sh [OUTAGE_SECS] [KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."
outage="${1:-600}"
kills="${2:-100}"
export SLUICE_OUTAGE_SECS="$outage" SLUICE_KILLS="$kills"
cargo test --release -p sluice --test e2e -- --nocapture --test-threads 1 \
  durability::an_outage_loses_nothing_and_memory_stays_bounded \
  durability::acknowledged_events_survive_kill_9_through_the_disk_buffer 2>&1 \
  | grep -E "^(OUTAGE|DURABILITY|test )"
