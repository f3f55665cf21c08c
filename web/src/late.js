// Sums of `/api/v1/late` rows (one row per group and obligation kind) over the kinds, with the
// same share on time as `ijwmo stats late`: on_time / (on_time + late + overdue), in tenths of a
// percent rounded half up; open obligations are not judged yet.

/** `pct_tenths` of src/facts/stats.rs, as a number with one decimal (or null). */
export function pctOnTime(onTime, late, overdue) {
  const whole = onTime + late + overdue;
  if (whole <= 0) return null;
  return Math.floor((onTime * 2000 + whole) / (2 * whole)) / 10;
}

/** Groups rows by `key(row)` and adds the counts up; keeps the order of first appearance. */
export function sumBy(rows, key) {
  const groups = new Map();
  for (const r of rows) {
    const k = key(r);
    let g = groups.get(k);
    if (!g) {
      g = { key: k, total: 0, on_time: 0, late: 0, overdue: 0, open: 0 };
      groups.set(k, g);
    }
    for (const c of ["total", "on_time", "late", "overdue", "open"]) g[c] += Number(r[c]) || 0;
  }
  return [...groups.values()].map((g) => ({ ...g, pct_on_time: pctOnTime(g.on_time, g.late, g.overdue) }));
}

/** Worst first: lowest share on time, then most late + overdue; not-yet-judged groups last. */
export function worstFirst(a, b) {
  const pa = a.pct_on_time ?? 101;
  const pb = b.pct_on_time ?? 101;
  if (pa !== pb) return pa - pb;
  return b.late + b.overdue - (a.late + a.overdue);
}
