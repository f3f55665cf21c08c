// Kosten (/kosten): realised per month stacked by segment (or product category), the forecast
// for the year (realised + remaining commitment) per paying municipality and per provider
// against its budget ceiling, costs per paying municipality (verdeelsleutel applied), and the
// rejected amounts per retour code; then the declaration quality (./kwaliteit.js) and the budget
// panels (./budget.js).
import { getJson } from "../api.js";
import { budgetPanels } from "./budget.js";
import { kwaliteitPanel } from "./kwaliteit.js";
import { chart, COLORS } from "../charts.js";
import { fmtEur, fmtEurShort, fmtPct, gemeenteNaam, maand, num } from "../format.js";
import { filters, go, link, query, setQuery } from "../state.js";
import { card, chartBox, csvLink, h, table } from "../ui.js";

export async function kosten({ meta }) {
  const f = filters();
  const year = meta.current_year;
  const split = query().split === "categorie" ? "categorie" : "segment";
  const panels = budgetPanels({ meta, f, year });
  const quality = kwaliteitPanel({ f });
  const [monthly, payers, providers, costsPayer, retour] = await Promise.all([
    getJson("costs", { ...f, by: "month", split }),
    getJson("forecast", { ...f, year, by: "payer" }),
    getJson("forecast", { ...f, year, by: "provider" }),
    getJson("costs", { ...f, by: "payer" }),
    getJson("costs", { ...f, by: "retour_code" }),
  ]);
  const months = [...new Set(monthly.map((r) => r.month))].sort();
  const groups = [...new Set(monthly.map((r) => r[split]))].sort();
  const ceilings = providers
    .filter((p) => num(p.budget_ceiling) !== null && p.provider !== "regio-mediaan")
    .sort((a, b) => num(b.forecast_pct) - num(a.forecast_pct));
  const topCeilings = ceilings.slice(0, 15);
  retour.sort((a, b) => num(b.rejected) - num(a.rejected));

  const splitSelect = h(
    "select",
    {
      name: "split",
      onchange: (e) => {
        setQuery({ split: e.target.value === "segment" ? "" : e.target.value });
        window.dispatchEvent(new PopStateEvent("popstate"));
      },
    },
    h("option", { value: "segment", selected: split === "segment" }, "segment"),
    h("option", { value: "categorie", selected: split === "categorie" }, "productcategorie"),
  );
  const eur = (key, label) => ({ key, label, type: "eur" });
  const sleutel = verdeelsleutel(meta);

  const nodes = [
    h(
      "div",
      { class: "grid" },
      card(
        "Gerealiseerd per maand",
        {
          wide: true,
          note: "Netto goedgekeurde declaraties naar maand van de productperiode.",
          actions: [h("label", { class: "inline" }, "Gestapeld per ", splitSelect), csvLink("costs", { ...f, by: "month", split }, `kosten-per-maand-${split}.csv`)],
        },
        chartBox("monthly", 340),
      ),
      card(
        `Prognose ${year} per betalende gemeente`,
        { note: "Gerealiseerd plus resterende verplichting van de lopende toewijzingen = prognose voor het jaar.", actions: [csvLink("forecast", { ...f, year, by: "payer" }, `prognose-${year}-per-betaler.csv`)] },
        chartBox("forecast-payer", 280),
        table("forecast-payer", [
          { key: "payer", label: "Gemeente", render: (v) => gemeenteNaam(v) },
          eur("realised", "Gerealiseerd"),
          eur("remaining", "Resterend"),
          eur("forecast", "Prognose"),
        ], payers),
      ),
      card(
        "Afgewezen bedragen per retourcode",
        { actions: [csvLink("costs", { ...f, by: "retour_code" }, "afgewezen-per-retourcode.csv")] },
        retour.length ? chartBox("retour", Math.max(180, retour.length * 28 + 50)) : null,
        table("costs-retour", [
          { key: "retour_code", label: "Retourcode" },
          { key: "rejected_lines", label: "Afgewezen regels", type: "int" },
          eur("rejected", "Afgewezen bedrag"),
          eur("declared", "Gedeclareerd"),
        ], retour, { empty: "Geen afgewezen declaratieregels voor deze selectie." }),
      ),
      card(
        "Kosten per betalende gemeente",
        {
          wide: true,
          note: sleutel || "Regionaal betaalde zorg is over de gemeenten verdeeld volgens de verdeelsleutel.",
          actions: [csvLink("costs", { ...f, by: "payer" }, "kosten-per-betaler.csv")],
        },
        table("costs-payer", [
          { key: "payer", label: "Gemeente", render: (v) => gemeenteNaam(v) },
          eur("declared", "Gedeclareerd"),
          eur("approved", "Goedgekeurd"),
          eur("rejected", "Afgewezen"),
          eur("credited", "Gecrediteerd"),
          eur("net", "Netto"),
        ], costsPayer),
      ),
      card(
        `Prognose ${year} tegen budgetplafond, per aanbieder`,
        {
          wide: true,
          note: `De ${topCeilings.length} aanbieders met de hoogste prognose als deel van hun budgetplafond (van ${ceilings.length} met een plafond in de contracten).`,
          actions: [csvLink("forecast", { ...f, year, by: "provider" }, `prognose-${year}-per-aanbieder.csv`)],
        },
        chartBox("ceilings", Math.max(220, topCeilings.length * 24 + 70)),
        h("details", {}, h("summary", {}, `Alle ${ceilings.length} aanbieders met een budgetplafond`),
          table("forecast-provider", [
            { key: "provider", label: "AGB", render: (v) => h("a", { href: link(`/aanbieder/${v}`) }, v) },
            eur("realised", "Gerealiseerd"),
            eur("remaining", "Resterend"),
            eur("forecast", "Prognose"),
            eur("budget_ceiling", "Budgetplafond"),
            { key: "realised_pct", label: "% gerealiseerd", type: "pct" },
            { key: "forecast_pct", label: "% prognose", type: "pct" },
          ], ceilings)),
      ),
    ),
  ];

  const extra = await panels;
  const kwaliteit = await quality;
  nodes[0].append(...kwaliteit.nodes, ...extra.nodes);

  const draw = () => {
    extra.draw();
    kwaliteit.draw();
    chart(document.querySelector("[data-chart=monthly]"), {
      grid: { left: 8, right: 20, top: 60, bottom: 30 },
      legend: { top: 0, type: "scroll" },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmtEur(v) },
      xAxis: { type: "category", data: months.map(maand) },
      yAxis: { type: "value", axisLabel: { formatter: (v) => fmtEurShort(v) } },
      series: groups.map((g) => ({
        name: g,
        type: "bar",
        stack: "m",
        barMaxWidth: 60,
        data: months.map((m) => {
          const r = monthly.find((x) => x.month === m && x[split] === g);
          return r ? num(r.net) : 0;
        }),
      })),
    });
    chart(document.querySelector("[data-chart=forecast-payer]"), {
      grid: { left: 8, right: 20, top: 30, bottom: 30 },
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmtEur(v) },
      xAxis: { type: "value", axisLabel: { formatter: (v) => fmtEurShort(v) } },
      yAxis: { type: "category", inverse: true, data: payers.map((p) => gemeenteNaam(p.payer).replace(/ \(.*/, "")) },
      series: [
        { name: "Gerealiseerd", type: "bar", stack: "p", color: COLORS.realised, data: payers.map((p) => num(p.realised)), barMaxWidth: 24 },
        { name: "Resterende verplichting", type: "bar", stack: "p", color: COLORS.remaining, data: payers.map((p) => num(p.remaining)), barMaxWidth: 24 },
      ],
    });
    const c = chart(document.querySelector("[data-chart=ceilings]"), {
      grid: { left: 8, right: 40, top: 30, bottom: 30 },
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmtPct(v) },
      xAxis: { type: "value", axisLabel: { formatter: "{value} %" } },
      yAxis: { type: "category", inverse: true, data: topCeilings.map((p) => p.provider) },
      series: [
        { name: "Gerealiseerd", type: "bar", color: COLORS.realised, data: topCeilings.map((p) => num(p.realised_pct)), barGap: "-100%", z: 3, barMaxWidth: 18 },
        {
          name: "Prognose",
          type: "bar",
          color: COLORS.remaining,
          data: topCeilings.map((p) => num(p.forecast_pct)),
          barMaxWidth: 18,
          markLine: { symbol: "none", lineStyle: { color: COLORS.overdue, type: "dashed" }, label: { formatter: "plafond" }, data: [{ xAxis: 100 }] },
        },
      ],
    });
    c.on("click", (p) => go(link(`/aanbieder/${topCeilings[p.dataIndex].provider}`)));
    const r = document.querySelector("[data-chart=retour]");
    if (r)
      chart(r, {
        grid: { left: 8, right: 90, top: 10, bottom: 30 },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmtEur(v) },
        xAxis: { type: "value", axisLabel: { formatter: (v) => fmtEurShort(v) } },
        yAxis: { type: "category", inverse: true, data: retour.map((x) => x.retour_code) },
        series: [{ type: "bar", color: COLORS.overdue, data: retour.map((x) => num(x.rejected)), barMaxWidth: 20, label: { show: true, position: "right", formatter: (p) => fmtEurShort(p.value) } }],
      });
  };
  return { nodes, draw };
}

/** The verdeelsleutel as a sentence, when /api/v1/meta tells it (an optional `betalers` field). */
function verdeelsleutel(meta) {
  if (!Array.isArray(meta.betalers) || !meta.betalers.length) return null;
  return meta.betalers
    .map((b) => {
      const parts = Object.entries(b.verdeelsleutel || {}).map(([g, p]) => `${gemeenteNaam(g).replace(/ \(.*/, "")} ${fmtPct(p)}`);
      return `${b.naam}: verdeeld als ${parts.join(", ")}.`;
    })
    .join(" ");
}
