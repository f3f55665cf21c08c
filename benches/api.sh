#!/usr/bin/env bash
# API benchmark (not a test): every `/api/v1` call over a generated YEAR of the whole region
# (`--scale 1`), on SQLite and on PostgreSQL, answered by `ijwmo dashboard` (release build).
#
# 1. `ijwmo demo --months 12 --scale 1` generates the year and runs every file through the real
#    pipeline into the store (SQLite file, or a fresh PostgreSQL database), sweeps, and exits;
# 2. `ijwmo dashboard` serves that store; the time until it answers is the facts' first load;
# 3. every endpoint (each grouping, a filter, CSV, the drill-down) is called ROUNDS times in a
#    row with curl; per call p50/p95/max of the total time, and the first page (index.html +
#    /api/v1/meta + the three charts of the overview) as one sequence.
#
# Usage: bash benches/api.sh [sqlite|postgres|both] [--rounds N] [--scale S] [--keep]
#   --scale  size of the region (default 1: the whole region)
#   --keep   reuse a store filled by an earlier run (target/api-bench/) instead of filling it
# PostgreSQL: IJWMO_TEST_POSTGRES (postgres://postgres@127.0.0.1:5432); database ijwmo_api_bench_${scale/./_}.
set -euo pipefail
cd "$(dirname "$0")/.."
which=both; rounds=40; keep=0; scale=1
while [ $# -gt 0 ]; do
  case "$1" in
    sqlite|postgres|both) which=$1 ;;
    --rounds) rounds=$2; shift ;;
    --scale) scale=$2; shift ;;
    --keep) keep=1 ;;
    *) echo "unknown argument $1"; exit 2 ;;
  esac
  shift
done
cargo build --release -q --bin ijwmo
bin=target/release/ijwmo
work=target/api-bench
mkdir -p "$work"
server=${IJWMO_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
port=18$((RANDOM % 900 + 100))

fill() { # $1 = name, $2 = store URL or empty for SQLite
  local dir="$work/$1-$scale"
  if [ "$keep" = 1 ] && [ -f "$dir/done" ]; then return; fi
  local args=(demo --months 12 --scale "$scale" --seed 7 --dir "$dir")
  if [ -n "$2" ]; then
    psql "$server/postgres" -q -c "DROP DATABASE IF EXISTS ijwmo_api_bench_${scale/./_} WITH (FORCE)" -c "CREATE DATABASE ijwmo_api_bench_${scale/./_}" \
      -c "ALTER DATABASE ijwmo_api_bench_${scale/./_} SET synchronous_commit = off" # the fill is not what is measured
    args+=(--store-url "$2")
  fi
  local t0=$SECONDS
  IJWMO_LOG=warn "$bin" "${args[@]}" > "$work/$1.demo.log"
  echo "$1: generated and processed a year at scale $scale in $((SECONDS - t0)) s ($(head -1 "$work/$1.demo.log"))"
  touch "$dir/done"
}

calls=(
  "/api/v1/late?by=provider" "/api/v1/late?by=municipality" "/api/v1/late?by=product"
  "/api/v1/late?by=month" "/api/v1/late?by=rule" "/api/v1/late?by=provider&owed_by=aanbieder&gemeente=0513"
  "/api/v1/costs?by=provider" "/api/v1/costs?by=payer" "/api/v1/costs?by=product"
  "/api/v1/costs?by=month&split=segment" "/api/v1/costs?by=retour_code" "/api/v1/costs?by=segment&from=2025-04&to=2025-06"
  "/api/v1/forecast?by=provider" "/api/v1/forecast?by=payer" "/api/v1/forecast?by=segment&standard=iwmo"
  "/api/v1/obligations?status=late,overdue&limit=100" "/api/v1/obligations?agb=98076541&limit=100"
  "/api/v1/meta" "/api/v1/late?by=provider&format=csv"
)

measure() { # $1 = name, $2 = store URL
  local log="$work/$1.dashboard.log"
  local t0
  t0=$(date +%s.%N)
  "$bin" dashboard --store-url "$2" --listen "127.0.0.1:$port" --payers "$work/$1-$scale/generated/betalers.toml" > "$log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" > /dev/null; do
    kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.2
  done
  local t1
  t1=$(date +%s.%N)
  echo "$1: dashboard ready (facts loaded) after $(echo "$t1 - $t0" | bc) s; resident memory $(ps -o rss= -p $pid | awk '{printf "%.0f MB", $1/1024}')"
  first_page() {
    local s
    s=$(date +%s.%N)
    for p in / "/api/v1/meta" "/api/v1/late?by=provider" "/api/v1/forecast?by=provider" "/api/v1/late?by=month"; do
      curl -s -o /dev/null "http://127.0.0.1:$port$p"
    done
    echo "$(date +%s.%N) - $s" | bc
  }
  echo "first page cold (index.html, meta, 3 charts; nothing asked before): $(first_page | awk '{printf "%.0f ms", $1*1000}')"
  # cold: the first call of each request after the facts were loaded, computed from the rows;
  # then ROUNDS more, answered from the generation's kept answers (src/http/answers.rs)
  printf '%-62s %8s %8s %8s %8s\n' "call (1 cold + $rounds rounds)" "cold ms" "p50 ms" "p95 ms" "max ms"
  for c in "${calls[@]}"; do
    local cold
    cold=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$c")
    for _ in $(seq "$rounds"); do
      curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port$c"
    done | sort -n | awk -v name="$c" -v cold="$cold" '{v[NR]=$1*1000} END {
      p50=v[int((NR*50+99)/100)]; p95=v[int((NR*95+99)/100)];
      printf "%-62s %8.1f %8.1f %8.1f %8.1f\n", name, cold*1000, p50, p95, v[NR] }'
  done
  for _ in $(seq 10); do
    first_page
  done | sort -n | awk '{v[NR]=$1*1000} END {printf "first page again (answers kept), 10 rounds: p50 %.0f ms, max %.0f ms\n", v[int((NR+1)/2)], v[NR]}'
  kill $pid
  wait $pid 2>/dev/null || true
}

if [ "$which" != postgres ]; then
  fill sqlite ""
  measure sqlite "sqlite://$work/sqlite-$scale/ijwmo.db"
fi
if [ "$which" != sqlite ]; then
  fill postgres "$server/ijwmo_api_bench_${scale/./_}"
  measure postgres "$server/ijwmo_api_bench_${scale/./_}"
fi
