#!/usr/bin/env bash
# Validation per core, side by side in ONE run on the same files: `ijwmo validate` (whole
# process, CPU time), the library's validate call (criterion, benches/validate.rs),
# `xmllint --noout --schema` with the official XSDs, and the JDK's built-in Xerces
# (benches/XercesPeer.java: schemas compiled once, corpus in memory, warmed). Everything runs on
# core 0 (`taskset -c 0`). Three corpora:
#   jw323  official-shape JW323 declarations with distinct identifiers (src/corpus.rs, 1 in 10
#          broken on purpose), written by the criterion bench;
#   decl   every declaration (JW323, WMO323) of a generated month;
#   month  that month's whole mix, every kind that has an official XSD.
# Verdicts are compared per file (ours = no schema-layer finding); a mismatch fails the script.
#
# Usage: bash benches/xmllint-compare.sh [--scale S]   (generator scale, default 0.5)
# Needs ../shared/istandaarden (read at run time, never copied), xmllint, java and javac.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=0.5
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    *) echo "usage: $0 [--scale S]"; exit 2 ;;
  esac
done
shared=../shared/istandaarden
command -v xmllint >/dev/null || { echo "needs xmllint (apt-get install libxml2-utils)"; exit 2; }
command -v javac >/dev/null || { echo "needs a JDK (java, javac)"; exit 2; }
[ -d "$shared" ] || { echo "needs the official XSDs in $shared"; exit 2; }
shared=$(cd "$shared" && pwd)

cargo build --release -q --bin ijwmo
root=target/bench-corpus
mkdir -p target/bench-java
javac -d target/bench-java benches/XercesPeer.java

# the generated corpora (the criterion bench writes jw323 itself)
rm -rf "$root/gen" "$root/decl" "$root/month"
target/release/ijwmo generate --months 1 --scale "$scale" --seed 7 --out "$root/gen" >/dev/null
mkdir -p "$root/decl" "$root/month"
for f in "$root"/gen/inbox/*.xml; do
  kind=$(basename "$f" | cut -d- -f3)
  case $kind in JW*) std=ijw ;; *) std=iwmo ;; esac
  [ -f "$shared/$std-3.2/$kind.xsd" ] || continue
  ln "$f" "$root/month/"
  case $kind in JW323 | WMO323) ln "$f" "$root/decl/" ;; esac
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "load while measuring (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$tmp/load"

# 1. the library call, per corpus (criterion; also writes the jw323 corpus)
taskset -c 0 cargo bench -q --bench validate -- --noplot 2>&1 | tee "$tmp/criterion" |
  grep -E "^validate/|time:|thrpt:" || true

# 2. the processes, per corpus, CPU time (user + system)
cpu() { /usr/bin/time -f "%U %S" -o "$tmp/time" "$@" || true; awk 'END {print $1 + $2}' "$tmp/time"; }
for corpus in jw323 decl month; do
  dir=$root/$corpus
  # the official XSD of each file, from its root element's namespace
  python3 - "$dir" "$shared" > "$tmp/$corpus.list" <<'PY'
import os, re, sys
d, shared = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(d)):
    head = open(os.path.join(d, name), "rb").read(2000).decode("utf-8", "replace")
    # the root's namespace; a file whose root namespace is broken on purpose is checked
    # against the first message schema it names (still invalid for every validator)
    root = re.search(r"<(?:(\w+):)?Bericht\b([^>]*)>", head)
    ns = None
    if root:
        decl = "xmlns:" + root.group(1) if root.group(1) else "xmlns"
        ns = re.search(decl + r'="http://www\.istandaarden\.nl/(\w+)/\d_\d/(\w+)/schema"', root.group(2))
    if not ns or ns.group(2) == "basisschema":
        ns = re.search(r"http://www\.istandaarden\.nl/(\w+)/\d_\d/(\w{2,3}\d+)/schema", head)
    print(f"{shared}/{ns.group(1)}-3.2/{ns.group(2).upper()}.xsd\t{os.path.abspath(os.path.join(d, name))}")
PY
  # xmllint: one invocation per XSD and 1,000 files (each parses its schema once)
  cut -f1 "$tmp/$corpus.list" | sort -u > "$tmp/xsds"
  cat > "$tmp/xmllint.sh" <<EOF
while read -r xsd; do
  awk -F'\t' -v x="\$xsd" '\$1 == x {print \$2}' "$tmp/$corpus.list" |
    xargs -n 1000 xmllint --noout --schema "\$xsd" 2>&1 >/dev/null |
    sed -n -e 's/^\(.*\.xml\) validates\$/\1\tok/p' -e 's/^\(.*\.xml\) fails to validate\$/\1\tbad/p'
done < "$tmp/xsds" > "$tmp/$corpus.xmllint"
EOF
  t_x=$(cpu taskset -c 0 bash "$tmp/xmllint.sh")
  t_i=$(cpu taskset -c 0 sh -c "target/release/ijwmo validate --format json $dir > $tmp/$corpus.ijwmo")
  taskset -c 0 java -cp target/bench-java XercesPeer "$tmp/$corpus.list" 5 5 > "$tmp/$corpus.xerces"
  echo -e "$corpus\t$(ls "$dir" | wc -l)\t$(du -sb "$dir" | cut -f1)\t$t_x\t$t_i" >> "$tmp/times"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$tmp" <<'PY'
import json, os, re, sys
tmp = sys.argv[1]
crit = open(os.path.join(tmp, "criterion")).read()
unit = {"elem/s": 1, "Kelem/s": 1e3, "Melem/s": 1e6}
lib = {}
for corpus, val, u in re.findall(r"validate/(\w+)[^\n]*\n(?:[^\n]*\n)*?\s*thrpt:\s*\[\S+\s+\S+\s+(\S+)\s+(\S+)", crit):
    lib.setdefault(corpus, float(val) * unit[u])
rows, bad = [], 0
for line in open(os.path.join(tmp, "times")):
    corpus, n, size, tx, ti = line.split("\t")
    n, size, tx, ti = int(n), int(size), float(tx), float(ti)
    x = {}
    for l in open(os.path.join(tmp, corpus + ".xmllint")):
        f, v = l.rstrip("\n").split("\t")
        x[os.path.basename(f)] = v == "ok"
    ours = {}
    for l in open(os.path.join(tmp, corpus + ".ijwmo")):
        r = json.loads(l)
        # OP192 (byte-order mark, encoding) is the standard's rule on top of the XSD, which
        # accepts a UTF-8 byte-order mark: it does not count against the XSD verdict
        ours[os.path.basename(r["file"])] = all(f["layer"] != "schema" or f["rule"] == "OP192"
                                                for f in r["findings"])
    xer = open(os.path.join(tmp, corpus + ".xerces")).read().splitlines()
    xs = float(re.search(r"files_per_s=(\d+)", xer[0]).group(1))
    xbad = {os.path.basename(l.split("\t")[1]) for l in xer[1:]}
    mism = [k for k in ours if x.get(k) != ours[k] or (k in xbad) == ours[k]]
    bad += len(mism) + (len(x) != n) + (len(ours) != n)
    rows.append((corpus, n, size / n / 1000, n / tx, xs, n / ti, lib.get(corpus, 0), len(mism),
                 sum(1 for v in x.values() if not v)))
print()
print("files/s on one core (CPU time; xerces warmed, in memory; library = criterion):")
print(f"{'corpus':7} {'files':>6} {'kB':>5} {'xmllint':>8} {'xerces':>8} {'validate':>9} {'library':>8}"
      f" {'val/xl':>6} {'val/xe':>6} {'lib/xl':>6} {'lib/xe':>6} {'invalid':>7} {'mismatch':>8}")
for c, n, kb, x, xe, v, l, m, inv in rows:
    print(f"{c:7} {n:6} {kb:5.1f} {x:8.0f} {xe:8.0f} {v:9.0f} {l:8.0f} {v/x:6.1f} {v/xe:6.1f}"
          f" {l/x:6.1f} {l/xe:6.1f} {inv:7} {m:8}")
sys.exit(1 if bad else 0)
PY
