// Tijdigheid (/tijdigheid): share on time per provider (worst first, with counts), per rule for
// the providers' obligations and for the answers the municipalities owe, and the trend per month.
// A click on a provider opens its obligations (/aanbieder/<agb>).
import { getJson } from "../api.js";
import { chart, COLORS } from "../charts.js";
import { fmtInt, fmtPct, KIND_CODES, kindKort, kindLang, maand } from "../format.js";
import { sumBy, worstFirst } from "../late.js";
import { filters, go, link, query, setQuery } from "../state.js";
import { card, chartBox, csvLink, h, table } from "../ui.js";

const COUNTS = [
  { key: "total", label: "Totaal", type: "int" },
  { key: "on_time", label: "Tijdig", type: "int" },
  { key: "late", label: "Te laat", type: "int" },
  { key: "overdue", label: "Verlopen", type: "int" },
  { key: "open", label: "Open", type: "int" },
  { key: "pct_on_time", label: "% tijdig", type: "pct" },
];

const STATUS_SERIES = [
  ["on_time", "Tijdig"],
  ["late", "Te laat"],
  ["overdue", "Verlopen"],
  ["open", "Open"],
];

/** Horizontal bars per row, stacked by status (on time, late, overdue, open). */
export const statusBars = (rows, label) => ({
  grid: { left: 8, right: 30, top: 30, bottom: 30 },
  legend: { top: 0 },
  tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
  xAxis: { type: "value", axisLabel: { formatter: (v) => fmtInt(v) } },
  yAxis: { type: "category", inverse: true, data: rows.map(label) },
  series: STATUS_SERIES.map(([k, name]) => ({ name, type: "bar", stack: "n", color: COLORS[k], data: rows.map((r) => Number(r[k])), barMaxWidth: 22 })),
});


export async function tijdigheid({ meta }) {
  const f = filters();
  const soort = query().soort || "";
  const kindFilter = (rows) => (soort ? rows.filter((r) => r.kind === soort) : rows);
  const [providers, rulesAanbieder, rulesGemeente, months] = await Promise.all([
    getJson("late", { ...f, by: "provider", owed_by: "aanbieder" }),
    getJson("late", { ...f, by: "rule", owed_by: "aanbieder" }),
    getJson("late", { ...f, by: "rule", owed_by: "gemeente" }),
    getJson("late", { ...f, by: "month", owed_by: "aanbieder" }),
  ]);
  const median = providers.filter((r) => r.provider === "regio-mediaan");
  const ranked = sumBy(
    kindFilter(providers.filter((r) => r.provider !== "regio-mediaan")),
    (r) => r.provider,
  ).sort(worstFirst);
  const worst = ranked.filter((p) => p.pct_on_time !== null).slice(0, 15);
  const monthKinds = [...new Set(months.map((r) => r.kind))];
  // months whose obligations are all still open have no share yet: left out of the trend
  const monthList = [...new Set(months.filter((r) => r.pct_on_time !== null).map((r) => r.month))].sort();

  const kindsPresent = KIND_CODES.filter((k) => providers.some((r) => r.kind === k));
  const soortSelect = h(
    "select",
    {
      name: "soort",
      onchange: (e) => {
        setQuery({ soort: e.target.value });
        window.dispatchEvent(new PopStateEvent("popstate"));
      },
    },
    h("option", { value: "" }, "alle soorten"),
    kindsPresent.map((k) => h("option", { value: k, selected: k === soort }, kindLang(k))),
  );

  const ruleColumns = [
    { key: "kind", label: "Verplichting", render: (v) => kindLang(v) },
    { key: "rule", label: "Regel" },
    ...COUNTS,
    { key: "median_wd_late", label: "Mediaan werkdagen te laat", type: "int" },
    { key: "p90_wd_late", label: "P90 werkdagen te laat", type: "int" },
  ];

  const nodes = [
    h(
      "div",
      { class: "grid" },
      card(
        "Aandeel tijdig per aanbieder",
        {
          wide: true,
          note: `De ${worst.length} aanbieders met het laagste aandeel tijdig${soort ? ` (${kindLang(soort).toLowerCase()})` : ""}. Klik op een balk of een rij voor de verplichtingen.`,
          actions: [h("label", { class: "inline" }, "Soort ", soortSelect), csvLink("late", { ...f, by: "provider", owed_by: "aanbieder" }, "tijdigheid-per-aanbieder.csv")],
        },
        chartBox("providers", Math.max(240, worst.length * 24 + 60)),
        h("details", { open: true }, h("summary", {}, `Alle ${ranked.length} aanbieders, slechtste eerst`),
          table("late-provider", [{ key: "key", label: "AGB", render: (v) => h("a", { href: link(`/aanbieder/${v}`) }, v) }, ...COUNTS], ranked, {
            onRow: (r) => go(link(`/aanbieder/${r.key}`)),
          })),
        median.length ? h("p", { class: "note" }, `Regionale mediaan (aanbieders): ${median.map((m) => `${kindKort(m.kind)} ${fmtPct(m.pct_on_time)}`).join(" · ")}`) : null,
      ),
      card(
        "Verplichtingen van aanbieders, per regel",
        { wide: true, actions: [csvLink("late", { ...f, by: "rule", owed_by: "aanbieder" }, "tijdigheid-per-regel-aanbieders.csv")] },
        chartBox("rules-aanbieder", Math.max(160, rulesAanbieder.length * 34 + 60)),
        table("late-rule-aanbieder", ruleColumns, rulesAanbieder),
      ),
      card(
        "Antwoorden verschuldigd door gemeenten",
        { wide: true, note: "Antwoorden op verzoeken om toewijzing en wijziging en op declaraties: wat de gemeenten de aanbieders verschuldigd zijn.", actions: [csvLink("late", { ...f, by: "rule", owed_by: "gemeente" }, "tijdigheid-per-regel-gemeenten.csv")] },
        rulesGemeente.length ? chartBox("rules-gemeente", Math.max(160, rulesGemeente.length * 34 + 60)) : null,
        table("late-rule-gemeente", ruleColumns, rulesGemeente),
      ),
      card(
        "Trend per maand",
        { wide: true, note: "Aandeel tijdig per soort verplichting van aanbieders, naar maand van de uiterste datum.", actions: [csvLink("late", { ...f, by: "month", owed_by: "aanbieder" }, "tijdigheid-per-maand.csv")] },
        chartBox("months", 300),
      ),
    ),
  ];

  const draw = () => {
    const c = chart(document.querySelector("[data-chart=providers]"), statusBars(worst, (w) => `${w.key}  ${fmtPct(w.pct_on_time)}`));
    c.on("click", (p) => go(link(`/aanbieder/${worst[p.dataIndex].key}`)));
    chart(document.querySelector("[data-chart=rules-aanbieder]"), statusBars(rulesAanbieder, (r) => `${kindKort(r.kind)} (${r.rule})`));
    const g = document.querySelector("[data-chart=rules-gemeente]");
    if (g) chart(g, statusBars(rulesGemeente, (r) => `${kindKort(r.kind)} (${r.rule})`));
    chart(document.querySelector("[data-chart=months]"), {
      grid: { left: 8, right: 30, top: 40, bottom: 30 },
      legend: { top: 0 },
      tooltip: { trigger: "axis", valueFormatter: (v) => fmtPct(v) },
      xAxis: { type: "category", data: monthList.map(maand) },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value} %" } },
      series: monthKinds.map((k) => ({
        name: kindKort(k),
        type: monthList.length > 1 ? "line" : "bar",
        symbolSize: 7,
        data: monthList.map((m) => {
          const r = months.find((x) => x.month === m && x.kind === k);
          return r && r.pct_on_time !== null ? Number(r.pct_on_time) : null;
        }),
      })),
    });
  };
  return { nodes, draw };
}
