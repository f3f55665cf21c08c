// The Kosten page's budget panels (issue 11, items 2 and 6): the budget early warning (forecast
// as a share of every ceiling, the thresholds, the month the ceiling is reached), the
// utilisation of the allocations, and — when the server has a penalty scheme — the
// late-declaration penalties per provider and month. Same API as `ijwmo stats budget|penalties`.
import { getJson } from "../api.js";
import { chart, COLORS } from "../charts.js";
import { fmtEur, fmtEurShort, fmtPct, gemeenteNaam, maand, num } from "../format.js";
import { link } from "../state.js";
import { card, chartBox, csvLink, h, table } from "../ui.js";

const TOP = 15;

/** The panels for filters `f` and `year`: `{ nodes, draw }`. */
export async function budgetPanels({ meta, f, year }) {
  const scheme = meta.penalty_scheme || null;
  const [budget, utilisation, penalties] = await Promise.all([
    getJson("budget", { ...f, year }),
    getJson("budget", { ...f, year, view: "utilisation" }),
    scheme ? getJson("penalties", f) : Promise.resolve([]),
  ]);
  const thresholds = Array.isArray(meta.budget_thresholds) ? meta.budget_thresholds : [90, 100];
  const warned = budget.filter((b) => b.warning !== null && b.warning !== undefined);
  const topBudget = budget.slice(0, TOP);
  const holder = (b) => (b.budget === "provider" ? b.holder : `${gemeenteNaam(b.holder).replace(/ \(.*/, "")}${b.segment ? ` · ${b.segment}` : ""}`);
  const lowUse = [...utilisation].sort((a, b) => num(b.allocated) - num(a.allocated)).slice(0, TOP);
  const penaltyMonths = [...new Set(penalties.map((p) => p.month))].sort();
  const penaltyOf = (a) => penalties.filter((x) => x.provider === a).reduce((s, x) => s + num(x.penalty), 0);
  const penaltyProviders = [...new Set(penalties.map((p) => p.provider))]
    .filter((a) => penaltyOf(a) > 0)
    .sort((a, b) => penaltyOf(b) - penaltyOf(a) || a.localeCompare(b))
    .slice(0, TOP);
  // a share far over the ceiling would flatten every other bar: the axis stops a little past
  // the highest threshold and such a bar shows its value at the end
  const axisMax = Math.max(...thresholds, 100) + 30;
  const eur = (key, label) => ({ key, label, type: "eur" });
  const budgetColumns = [
    { key: "budget", label: "Plafond van", render: (v) => (v === "provider" ? "aanbieder" : "gemeente") },
    {
      key: "holder",
      label: "Houder",
      render: (v, r) => (r.budget === "provider" ? h("a", { href: link(`/aanbieder/${v}`) }, v) : gemeenteNaam(v)),
    },
    { key: "segment", label: "Segment" },
    eur("ceiling", "Plafond"),
    eur("realised", "Gerealiseerd"),
    eur("forecast", "Prognose"),
    { key: "forecast_pct", label: "% prognose", type: "pct" },
    eur("run_rate", "Per maand"),
    { key: "ceiling_month", label: "Plafond bereikt", render: (v, r) => (v ? `${maand(v)}${r.basis === "projected" ? " (verwacht)" : ""}` : "–") },
    { key: "warning", label: "Signaal", render: (v) => (v === null || v === undefined ? "–" : `≥ ${v} %`) },
  ];

  const nodes = [
    card(
      `Budgetbewaking ${year}`,
      {
        wide: true,
        note: `Prognose (gerealiseerd + resterende verplichting) als deel van elk budgetplafond: van aanbieders uit de contracten, van gemeenten uit het budgettenbestand. Signaal vanaf ${thresholds.map((t) => `${t} %`).join(" en ")}; "plafond bereikt" is de maand waarin de realisatie het plafond haalde, of bij het huidige maandtempo zal halen. ${warned.length} van ${budget.length} plafonds geven een signaal.`,
        actions: [csvLink("budget", { ...f, year }, `budgetbewaking-${year}.csv`)],
      },
      budget.length ? chartBox("budget", Math.max(220, topBudget.length * 24 + 70)) : null,
      table("budget-warnings", budgetColumns, warned, { empty: "Geen plafond bereikt een signaaldrempel." }),
      h("details", {}, h("summary", {}, `Alle ${budget.length} plafonds, hoogste prognose eerst`), table("budget", budgetColumns, budget, { empty: "Geen budgetplafonds voor deze selectie." })),
    ),
    card(
      `Benutting van toewijzingen ${year}`,
      {
        wide: true,
        note: "Goedgekeurd gedeclareerd volume gedeeld door het toegewezen volume, tot en met de laatst gedeclareerde maand. Structurele onderbenutting maakt de prognose te hoog; overschrijding blijkt uit afwijzingen 9321/9322.",
        actions: [csvLink("budget", { ...f, year, view: "utilisation" }, `benutting-${year}.csv`)],
      },
      lowUse.length ? chartBox("utilisation", Math.max(220, lowUse.length * 24 + 70)) : null,
      h("details", {}, h("summary", {}, `Alle ${utilisation.length} aanbieders en producten`),
        table("utilisation", [
          { key: "provider", label: "AGB", render: (v) => h("a", { href: link(`/aanbieder/${v}`) }, v) },
          { key: "product", label: "Product" },
          { key: "eenheid", label: "Eenheid" },
          { key: "allocations", label: "Toewijzingen", type: "int" },
          { key: "allocated", label: "Toegewezen", type: "pct", render: (v) => fmtNum(v) },
          { key: "declared", label: "Gedeclareerd", type: "pct", render: (v) => fmtNum(v) },
          { key: "utilisation_pct", label: "% benut", type: "pct" },
        ], utilisation, { empty: "Geen toewijzingen met een omvang voor deze selectie." })),
    ),
  ];
  if (scheme) {
    nodes.push(
      card(
        "Boetes op te late declaraties (wat-als)",
        {
          wide: true,
          note: `Regeling "${scheme}" toegepast op de declaratieverplichtingen die te laat zijn nagekomen, per aanbieder en zorgmaand, met de regel die elke regel opleverde. Alleen een rapport: er wordt niets verrekend.`,
          actions: [csvLink("penalties", f, "boetes-per-aanbieder-en-maand.csv"), csvLink("penalties", { ...f, view: "lines" }, "boetes-per-verplichting.csv")],
        },
        penaltyProviders.length ? chartBox("penalties", Math.max(220, penaltyProviders.length * 24 + 90)) : null,
        table("penalties", [
          { key: "provider", label: "AGB", render: (v) => h("a", { href: link(`/aanbieder/${v}`) }, v) },
          { key: "month", label: "Zorgmaand", render: (v) => maand(v) },
          { key: "rule_text", label: "Regel" },
          { key: "obligations", label: "Verplichtingen", type: "int" },
          { key: "max_wd_late", label: "Werkdagen te laat (max)", type: "int" },
          eur("declared", "Gedeclareerd"),
          eur("penalty", "Boete"),
        ], penalties, { empty: "Geen te late declaraties voor deze selectie." }),
      ),
    );
  }

  const draw = () => {
    const b = document.querySelector("[data-chart=budget]");
    if (b)
      chart(b, {
        grid: { left: 8, right: 60, top: 30, bottom: 30 },
        legend: { top: 0 },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmtPct(v) },
        xAxis: { type: "value", max: axisMax, axisLabel: { formatter: "{value} %" } },
        yAxis: { type: "category", inverse: true, data: topBudget.map(holder) },
        series: [
          { name: "Gerealiseerd", type: "bar", color: COLORS.realised, data: topBudget.map((x) => Math.min(num(x.realised_pct), axisMax)), barGap: "-100%", z: 3, barMaxWidth: 18 },
          {
            name: "Prognose",
            type: "bar",
            color: COLORS.remaining,
            data: topBudget.map((x) => ({
              value: Math.min(num(x.forecast_pct), axisMax),
              itemStyle: x.warning !== null && x.warning !== undefined ? { color: num(x.warning) >= 100 ? COLORS.overdue : COLORS.late } : undefined,
            })),
            barMaxWidth: 18,
            label: { show: true, position: "right", formatter: (p) => fmtPct(topBudget[p.dataIndex].forecast_pct) },
            markLine: {
              symbol: "none",
              lineStyle: { color: COLORS.overdue, type: "dashed" },
              label: { position: "end", formatter: (p) => `${p.value} %` },
              data: thresholds.map((t) => ({ xAxis: t })),
            },
          },
        ],
      });
    const u = document.querySelector("[data-chart=utilisation]");
    if (u)
      chart(u, {
        grid: { left: 8, right: 60, top: 10, bottom: 30 },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmtPct(v) },
        xAxis: { type: "value", axisLabel: { formatter: "{value} %" } },
        yAxis: { type: "category", inverse: true, data: lowUse.map((x) => `${x.provider} ${x.product}`) },
        series: [
          {
            type: "bar",
            color: COLORS.realised,
            data: lowUse.map((x) => num(x.utilisation_pct)),
            barMaxWidth: 18,
            label: { show: true, position: "right", formatter: (p) => fmtPct(p.value) },
            markLine: { symbol: "none", lineStyle: { color: COLORS.open, type: "dashed" }, label: { formatter: "100 %" }, data: [{ xAxis: 100 }] },
          },
        ],
      });
    const p = document.querySelector("[data-chart=penalties]");
    if (p)
      chart(p, {
        grid: { left: 8, right: 30, top: 40, bottom: 30 },
        legend: { top: 0, type: "scroll" },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmtEur(v) },
        xAxis: { type: "value", axisLabel: { formatter: (v) => fmtEurShort(v) } },
        yAxis: { type: "category", inverse: true, data: penaltyProviders },
        series: penaltyMonths.map((m) => ({
          name: maand(m),
          type: "bar",
          stack: "p",
          barMaxWidth: 18,
          data: penaltyProviders.map((a) => penalties.filter((x) => x.provider === a && x.month === m).reduce((s, x) => s + num(x.penalty), 0)),
        })),
      });
  };
  return { nodes, draw };
}

const dec2 = new Intl.NumberFormat("nl-NL", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const fmtNum = (v) => (num(v) === null ? "–" : dec2.format(num(v)));
