#!/usr/bin/env bash
# First-page benchmark of the dashboard (not a test): builds a store over generated months
# (default: a year of the whole region, --scale 1) with the release binary, serves it with
# `ijwmo dashboard`, and measures in headless chromium how long each page takes to be usable
# (benches/dashboard.rs). Needs chromium and chromium-driver (Debian packages).
#
# Usage: bash benches/dashboard.sh [--months 12] [--scale 1] [--dir target/dashboard-bench]
#                                  [--runs 10] [--store-url URL]
#   --store-url URL  measure over an existing store instead (nothing generated)
#   The store under --dir is reused when it exists; delete the folder to build it anew.
set -euo pipefail
cd "$(dirname "$0")/.."
months=12 scale=1 dir=target/dashboard-bench runs=10 store=""
while [ $# -gt 0 ]; do
  case "$1" in
    --months) months=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --store-url) store=$2; shift 2 ;;
    *) echo "unknown option $1"; exit 2 ;;
  esac
done
command -v chromium >/dev/null && command -v chromedriver >/dev/null ||
  { echo "needs chromium and chromedriver: apt-get install -y chromium chromium-driver"; exit 2; }
cargo build --release -q --bin ijwmo
bin=target/release/ijwmo

if [ -z "$store" ]; then
  store="sqlite://$dir/ijwmo.db"
  export IJWMO_PAYERS="$dir/generated/betalers.toml"
  if [ ! -f "$dir/ijwmo.db" ]; then
    t0=$(date +%s)
    # the demo's pipeline: generate, process every message from the spool folder, sweep
    $bin demo --months "$months" --scale "$scale" --seed 7 --dir "$dir" > "$dir.log"
    echo "store built in $(( $(date +%s) - t0 )) s: $store"
  fi
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$bin dashboard --store-url "$store" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
dash=$!
trap 'kill $dash 2>/dev/null || true' EXIT
# the server answers once it has read the facts (a year of the region: seconds): wait for
# that, so the first load measures the page, not the start
t0=$(date +%s.%N)
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
  kill -0 $dash 2>/dev/null || { echo "the dashboard did not start"; exit 1; }
  sleep 0.2
done
echo "dashboard ready (facts read) after $(echo "$(date +%s.%N) - $t0" | bc) s"
cargo bench -q --bench dashboard -- --url "http://127.0.0.1:$port" --runs "$runs"
