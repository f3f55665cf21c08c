// Overzicht (/): the key figures and three charts: on-time share per kind of obligation, costs
// against forecast per paying municipality, and the worst-reporting providers.
import { getJson } from "../api.js";
import { chart, COLORS } from "../charts.js";
import { fmtEur, fmtEurShort, fmtInt, fmtPct, kindKort, num } from "../format.js";
import { sumBy, worstFirst } from "../late.js";
import { filters, go, link } from "../state.js";
import { card, chartBox, h, kpis } from "../ui.js";

export async function overzicht({ meta }) {
  const f = filters();
  const year = meta.current_year;
  const [rules, providers, payers, forecastProviders, costs] = await Promise.all([
    getJson("late", { ...f, by: "rule", owed_by: "aanbieder" }),
    getJson("late", { ...f, by: "provider", owed_by: "aanbieder" }),
    getJson("forecast", { ...f, year, by: "payer" }),
    getJson("forecast", { ...f, year, by: "provider" }),
    getJson("costs", { ...f, by: "payer" }),
  ]);

  const all = sumBy(rules, () => "alle")[0];
  const kinds = sumBy(rules, (r) => r.kind).filter((k) => k.pct_on_time !== null);
  const worst = sumBy(
    providers.filter((r) => r.provider !== "regio-mediaan"),
    (r) => r.provider,
  )
    .filter((p) => p.pct_on_time !== null)
    .sort(worstFirst)
    .slice(0, 10);
  const sum = (rows, col) => rows.reduce((s, r) => s + (num(r[col]) || 0), 0);
  const withCeiling = forecastProviders.filter((r) => num(r.budget_ceiling) !== null);
  const ceilings = sum(withCeiling, "budget_ceiling");
  const forecastOfCeiling = ceilings > 0 ? (sum(withCeiling, "forecast") / ceilings) * 100 : null;

  const nodes = [
    kpis([
      {
        name: "pct_on_time",
        label: "Tijdig gemeld door aanbieders",
        value: fmtPct(all ? all.pct_on_time : null),
        sub: all ? `${fmtInt(all.on_time)} van ${fmtInt(all.on_time + all.late + all.overdue)} verplichtingen met verstreken termijn` : "",
      },
      { name: "realised", label: `Gerealiseerd ${year}`, value: fmtEur(sum(payers, "realised").toFixed(2)), sub: "goedgekeurd, netto" },
      { name: "forecast", label: `Prognose ${year}`, value: fmtEur(sum(payers, "forecast").toFixed(2)), sub: "gerealiseerd + resterende verplichting" },
      {
        name: "ceiling",
        label: "Prognose t.o.v. budgetplafonds",
        value: forecastOfCeiling === null ? "–" : fmtPct(forecastOfCeiling.toFixed(1)),
        sub: `${fmtInt(withCeiling.length)} aanbieders met plafond, samen ${fmtEurShort(ceilings)}`,
      },
      { name: "rejected", label: "Afgewezen declaraties", value: fmtEur(sum(costs, "rejected").toFixed(2)), sub: `${fmtInt(sum(costs, "rejected_lines"))} regels` },
    ]),
    h(
      "div",
      { class: "grid" },
      card("Tijdig per soort verplichting", { note: "Aandeel tijdig van de verplichtingen van aanbieders waarvan de termijn verstreken is." }, chartBox("kinds", 300)),
      card(
        `Kosten ${year} tegen prognose en budget`,
        { note: "Gerealiseerd plus resterende verplichting = prognose; voor de aanbieders met een budgetplafond in de contracten ook dat plafond." },
        chartBox("forecast", 300),
      ),
      card(
        "Slechtst meldende aanbieders",
        { wide: true, note: "Laagste aandeel tijdig, alle soorten verplichtingen samen. Klik op een aanbieder voor zijn verplichtingen." },
        chartBox("worst", 340),
      ),
    ),
  ];

  const draw = () => {
    chart(document.querySelector("[data-chart=kinds]"), {
      grid: { left: 8, right: 50, top: 10, bottom: 30 },
      tooltip: { trigger: "axis", valueFormatter: (v) => fmtPct(v) },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value} %" } },
      yAxis: { type: "category", data: kinds.map((k) => kindKort(k.key)), inverse: true },
      series: [
        {
          type: "bar",
          data: kinds.map((k) => ({ value: k.pct_on_time, itemStyle: { color: k.pct_on_time >= 90 ? COLORS.on_time : k.pct_on_time >= 75 ? COLORS.late : COLORS.overdue } })),
          label: { show: true, position: "right", formatter: (p) => fmtPct(p.value) },
          barMaxWidth: 22,
        },
      ],
    });
    const groups = [forecastProviders.filter((r) => r.provider !== "regio-mediaan"), withCeiling];
    chart(document.querySelector("[data-chart=forecast]"), {
      grid: { left: 8, right: 20, top: 40, bottom: 10 },
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmtEur(v) },
      xAxis: { type: "category", data: ["Alle aanbieders", `${withCeiling.length} aanbieders met plafond`] },
      yAxis: { type: "value", axisLabel: { formatter: (v) => fmtEurShort(v) } },
      series: [
        { name: "Gerealiseerd", type: "bar", stack: "p", color: COLORS.realised, barMaxWidth: 70, data: groups.map((g) => sum(g, "realised")) },
        { name: "Resterende verplichting", type: "bar", stack: "p", color: COLORS.remaining, barMaxWidth: 70, data: groups.map((g) => sum(g, "remaining")) },
        { name: "Budgetplafond", type: "bar", color: COLORS.late, barMaxWidth: 70, data: [null, ceilings] },
      ],
    });
    const c = chart(document.querySelector("[data-chart=worst]"), {
      grid: { left: 8, right: 30, top: 30, bottom: 30 },
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", axisLabel: { formatter: (v) => fmtInt(v) } },
      yAxis: { type: "category", inverse: true, data: worst.map((w) => `${w.key}  ${fmtPct(w.pct_on_time)}`) },
      series: [
        ["on_time", "Tijdig"],
        ["late", "Te laat"],
        ["overdue", "Verlopen"],
        ["open", "Open"],
      ].map(([k, name]) => ({ name, type: "bar", stack: "n", color: COLORS[k], data: worst.map((w) => w[k]), barMaxWidth: 20 })),
    });
    c.on("click", (p) => go(link(`/aanbieder/${worst[p.dataIndex].key}`)));
  };
  return { nodes, draw };
}

