// The Kosten page's declaration-quality panel (issue 11, item 4): the share of declared debit
// lines and amounts the municipalities rejected, per provider (worst first) and per month, and
// how many rejected lines came back approved after how many working days. Same API as
// `ijwmo stats rejections`.
import { getJson } from "../api.js";
import { chart, COLORS } from "../charts.js";
import { fmtPct, maand, num } from "../format.js";
import { link } from "../state.js";
import { card, chartBox, csvLink, h, table } from "../ui.js";

const TOP = 15;

/** The panel for filters `f`: `{ nodes, draw }`. */
export async function kwaliteitPanel({ f }) {
  const [providers, months] = await Promise.all([
    getJson("rejections", { ...f, by: "provider" }),
    getJson("rejections", { ...f, by: "month" }),
  ]);
  const own = providers.filter((p) => p.provider !== "regio-mediaan");
  // worst first: the share of the declared amount rejected, then the rejected amount
  own.sort((a, b) => num(b.rejected_pct) - num(a.rejected_pct) || num(b.rejected) - num(a.rejected));
  const worst = own.filter((p) => num(p.rejected_lines) > 0).slice(0, TOP);
  months.sort((a, b) => String(a.month).localeCompare(String(b.month)));
  const rejected = own.reduce((s, p) => s + num(p.rejected_lines), 0);
  const resubmitted = own.reduce((s, p) => s + num(p.resubmitted), 0);
  const columns = [
    { key: "provider", label: "AGB", render: (v) => h("a", { href: link(`/aanbieder/${v}`) }, v) },
    { key: "declared_lines", label: "Gedeclareerde regels", type: "int" },
    { key: "rejected_lines", label: "Afgewezen regels", type: "int" },
    { key: "rejected_lines_pct", label: "% regels", type: "pct" },
    { key: "declared", label: "Gedeclareerd", type: "eur" },
    { key: "rejected", label: "Afgewezen", type: "eur" },
    { key: "rejected_pct", label: "% bedrag", type: "pct" },
    { key: "resubmitted", label: "Opnieuw ingediend en goedgekeurd", type: "int" },
    { key: "median_wd_to_approval", label: "Mediaan werkdagen tot goedkeuring", type: "int" },
  ];
  const nodes = [
    card(
      "Declaratiekwaliteit",
      {
        wide: true,
        note: `Afgewezen debetregels van de declaraties (323) volgens de antwoorden (325), als deel van wat is gedeclareerd. ${rejected} afgewezen regels, waarvan ${resubmitted} later opnieuw zijn ingediend en goedgekeurd (zelfde toewijzing, product en maand).`,
        actions: [csvLink("rejections", { ...f, by: "provider" }, "declaratiekwaliteit-per-aanbieder.csv")],
      },
      worst.length ? chartBox("rejections-provider", Math.max(220, worst.length * 24 + 70)) : null,
      months.length ? chartBox("rejections-month", 240) : null,
      table("rejections-provider", columns, worst, { empty: "Geen afgewezen declaratieregels voor deze selectie." }),
      h("details", {}, h("summary", {}, `Alle ${own.length} aanbieders`), table("rejections-all", columns, own)),
    ),
  ];
  const draw = () => {
    const p = document.querySelector("[data-chart=rejections-provider]");
    if (p)
      chart(p, {
        grid: { left: 8, right: 60, top: 10, bottom: 30 },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmtPct(v) },
        xAxis: { type: "value", axisLabel: { formatter: "{value} %" } },
        yAxis: { type: "category", inverse: true, data: worst.map((x) => x.provider) },
        series: [
          {
            name: "% afgewezen bedrag",
            type: "bar",
            color: COLORS.overdue,
            data: worst.map((x) => num(x.rejected_pct)),
            barMaxWidth: 18,
            label: { show: true, position: "right", formatter: (v) => fmtPct(v.value) },
          },
        ],
      });
    const m = document.querySelector("[data-chart=rejections-month]");
    if (m)
      chart(m, {
        grid: { left: 8, right: 20, top: 30, bottom: 30 },
        legend: { top: 0 },
        tooltip: { trigger: "axis", valueFormatter: (v) => fmtPct(v) },
        xAxis: { type: "category", data: months.map((x) => maand(x.month)) },
        yAxis: { type: "value", axisLabel: { formatter: "{value} %" } },
        series: [
          { name: "% afgewezen regels", type: "line", color: COLORS.late, data: months.map((x) => num(x.rejected_lines_pct)) },
          { name: "% afgewezen bedrag", type: "line", color: COLORS.overdue, data: months.map((x) => num(x.rejected_pct)) },
        ],
      });
  };
  return { nodes, draw };
}
