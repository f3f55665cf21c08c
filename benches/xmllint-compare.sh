#!/usr/bin/env bash
# Validation throughput of ijwmo against xmllint on the same 10,000 JW323 files, one core each,
# in one run, with a per-file verdict comparison. Usage: bash benches/xmllint-compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
xsd=../shared/istandaarden/ijw-3.2/JW323.xsd
command -v xmllint >/dev/null || { echo "needs xmllint (apt-get install libxml2-utils)"; exit 2; }
[ -f "$xsd" ] || { echo "needs the official XSDs in ../shared/istandaarden"; exit 2; }
cargo build --release -q
# the criterion bench writes the corpus, then measures the library on one core
taskset -c 0 cargo bench -q --bench validate -- --noplot 2>&1 | grep -E "validate/|time:|thrpt:" || true
dir=target/bench-corpus/jw323
n=$(ls "$dir" | wc -l); mb=$(du -sm "$dir" | cut -f1)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
(cd "$dir" && ls | sort | taskset -c 0 xargs -n 2000 xmllint --noout --schema "$OLDPWD/$xsd" 2>&1 || true) \
  | sed -n -e 's/^\(.*\.xml\) validates$/\1\tok/p' -e 's/^\(.*\.xml\) fails to validate$/\1\tbad/p' | sort -u > "$tmp/xmllint.txt"
t_xmllint=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
taskset -c 0 target/release/ijwmo validate --format json "$dir" > "$tmp/ijwmo.json" || true
t_ijwmo=$(echo "$(date +%s.%N) - $start" | bc)
python3 - "$tmp" "$n" "$mb" "$t_xmllint" "$t_ijwmo" <<'PY'
import json, os, sys
tmp, n, mb, tx, ti = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
x = {}
for line in open(os.path.join(tmp, "xmllint.txt")):
    name, verdict = line.rstrip("\n").split("\t")
    x[os.path.basename(name)] = verdict == "ok"
ours = {}
for line in open(os.path.join(tmp, "ijwmo.json")):
    r = json.loads(line)
    ours[os.path.basename(r["file"])] = all(f["layer"] != "schema" for f in r["findings"])
diff = [k for k in ours if x.get(k) != ours[k]]
print(f"files: {n} ({mb} MB); invalid per xmllint: {sum(1 for v in x.values() if not v)}")
print(f"xmllint --schema (1 core): {tx:.2f} s  = {n/tx:,.0f} files/s")
print(f"ijwmo validate    (1 core): {ti:.2f} s  = {n/ti:,.0f} files/s  (layers 1+2, JSON output)")
print(f"speed-up: {tx/ti:.1f}x   verdict mismatches: {len(diff)} of {len(ours)} (xmllint saw {len(x)})")
sys.exit(1 if diff or len(x) != n else 0)
PY
