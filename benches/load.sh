#!/usr/bin/env bash
# Load benchmark of `ijwmo serve` against the real RabbitMQ and PostgreSQL (not a test):
# raw broker baseline, end-to-end throughput, latency publish → answer, and the daemon's
# maximum resident memory, in one run. See benches/load.rs for what each number means.
#
# Usage: bash benches/load.sh [--count N] [--latency-count N] [--rate MSG_PER_S]
#                             [--input DIR] [--queue-type quorum|classic] [--prefetch N]
#                             [--skip-baseline] [--large-every N] [--large-bytes N]
#   --input DIR   publish the *.xml under DIR (e.g. written by `ijwmo generate`) instead of
#                 the built-in corpus
#   --large-every N  replace every N-th message by a large malicious one (--large-bytes, 20 MB)
# Servers: IJWMO_TEST_AMQP_URL (amqp://guest:guest@127.0.0.1:5672/%2f) and IJWMO_TEST_POSTGRES
# (postgres://postgres@127.0.0.1:5432). Other IJWMO_* variables reach the daemon, e.g.
# IJWMO_LOG=warn or IJWMO_AMQP_PREFETCH=32.
set -euo pipefail
cd "$(dirname "$0")/.."
(echo > /dev/tcp/127.0.0.1/5672) 2>/dev/null || { echo "needs RabbitMQ on 127.0.0.1:5672"; exit 2; }
pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || { echo "needs PostgreSQL on 127.0.0.1:5432"; exit 2; }
cargo build --release -q --bin ijwmo
exec cargo bench -q --bench load -- "$@"
