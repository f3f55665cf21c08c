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
export IJWMO_PSEUDONYM_KEY=ijwmo-dashboard-bench-only-key

if [ -z "$store" ]; then
  store="sqlite://$dir/ijwmo.db"
  export IJWMO_PAYERS="$dir/generated/betalers.toml"
  if [ ! -f "$dir/ijwmo.db" ]; then
    rm -rf "$dir"; mkdir -p "$dir/spool/inbox"
    t0=$(date +%s)
    $bin generate --months "$months" --scale "$scale" --seed 7 --start 2025-01 --out "$dir/generated"
    $bin migrate --store-url "$store" >/dev/null
    $bin contracts import "$dir/generated/contracts.csv" --store-url "$store" >/dev/null
    # the receipt time is the file's modification time: cp -p keeps it
    find "$dir/generated/inbox" -name '*.xml' -print0 | xargs -0 cp -p -t "$dir/spool/inbox"
    IJWMO_TRANSPORT=spool IJWMO_STORE_URL="$store" IJWMO_SPOOL_DIR="$dir/spool" \
      IJWMO_MEASURE_FROM=2025-01-01 IJWMO_LOG=warn IJWMO_HTTP_LISTEN=off $bin serve &
    serve=$!
    while [ -n "$(find "$dir/spool/inbox" -name '*.xml' -print -quit)" ]; do sleep 5; done
    sleep 3; kill -TERM $serve; wait $serve || true
    last=$(date -d "2025-01-01 + $((months + 1)) months - 1 day" +%F)
    $bin sweep --date "$last" --measure-from 2025-01-01 --store-url "$store"
    echo "store built in $(( $(date +%s) - t0 )) s: $store"
  fi
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$bin dashboard --store-url "$store" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
dash=$!
trap 'kill $dash 2>/dev/null || true' EXIT
for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
cargo bench -q --bench dashboard -- --url "http://127.0.0.1:$port" --runs "$runs"
