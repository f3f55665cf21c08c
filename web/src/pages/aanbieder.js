// Aanbieder (/aanbieder/<agb>): one provider's figures per rule and the obligations behind them,
// late and overdue first (the order of /api/v1/obligations), a page of 100 at a time.
import { getJson } from "../api.js";
import { fmtInt, gemeenteNaam, kindLang, STATUS } from "../format.js";
import { filters, link } from "../state.js";
import { card, chartBox, csvLink, h, table } from "../ui.js";
import { sumBy } from "../late.js";
import { fmtPct, kindKort } from "../format.js";
import { chart } from "../charts.js";
import { statusBars } from "./tijdigheid.js";

const PAGE = 100;

const OBLIGATION_COLUMNS = [
  { key: "status", label: "Status", render: (v) => h("span", { class: `status ${v}` }, STATUS[v] || v) },
  { key: "kind", label: "Verplichting", render: (v) => kindLang(v) },
  { key: "owed_by_role", label: "Door" },
  { key: "gemeente", label: "Gemeente", render: (v) => h("span", { title: v }, gemeenteNaam(v).replace(/ \(.*/, "")) },
  { key: "client_pseudonym", label: "Cliënt (pseudoniem)", render: (v) => h("code", { title: v }, v ? `${v.slice(0, 8)}…` : "–") },
  { key: "productcode", label: "Product", render: (v, r) => [r.categorie, v].filter(Boolean).join("/") || "–" },
  { key: "reference", label: "Referentie" },
  { key: "reference_date", label: "Ref.datum" },
  { key: "due_date", label: "Uiterste datum" },
  { key: "fulfilled_on", label: "Voldaan op", render: (v) => v || "–" },
  { key: "days_late", label: "Wd. te laat", type: "int" },
];

export async function aanbieder({ arg: agb }) {
  const f = { ...filters(), agb };
  const params = { ...f, status: "late,overdue,open,on_time", limit: PAGE, offset: 0 };
  const [own, owedToIt, obligations] = await Promise.all([
    getJson("late", { ...f, by: "rule", owed_by: "aanbieder" }),
    getJson("late", { ...f, by: "rule", owed_by: "gemeente" }),
    getJson("obligations", params),
  ]);
  // the provider's own obligations make its share (as on Tijdigheid); the answers owed to it
  // by the municipalities are listed beside them
  const all = sumBy(own, () => agb)[0];
  const rules = [
    ...own.map((r) => ({ ...r, door: "aanbieder" })),
    ...owedToIt.map((r) => ({ ...r, door: "gemeente" })),
  ];

  const list = h("div", {}, table("obligations", OBLIGATION_COLUMNS, obligations, { empty: "Geen verplichtingen voor deze selectie." }));
  let offset = obligations.length;
  const more = h(
    "button",
    {
      type: "button",
      class: "more",
      hidden: obligations.length < PAGE,
      onclick: async () => {
        more.disabled = true;
        const next = await getJson("obligations", { ...params, offset });
        offset += next.length;
        const tbody = list.querySelector("tbody");
        const extra = table("obligations", OBLIGATION_COLUMNS, next).querySelector("tbody");
        if (tbody && extra) tbody.append(...extra.children);
        more.hidden = next.length < PAGE;
        more.disabled = false;
      },
    },
    "Meer laden",
  );

  const nodes = [
    h("p", { class: "crumbs" }, h("a", { href: link("/tijdigheid") }, "← Tijdigheid"), " / aanbieder ", h("strong", {}, agb)),
    h("h1", { class: "page-title", "data-agb": agb }, `Aanbieder ${agb}`),
    h(
      "p",
      { class: "lead" },
      all
        ? [h("strong", { "data-figure": "pct_on_time" }, fmtPct(all.pct_on_time)), ` tijdig · ${fmtInt(all.late)} te laat · ${fmtInt(all.overdue)} verlopen · ${fmtInt(all.open)} open, van ${fmtInt(all.total)} eigen verplichtingen.`]
        : "Geen verplichtingen voor deze selectie.",
    ),
    h(
      "div",
      { class: "grid" },
      card(
        "Per regel",
        { wide: true, actions: [csvLink("late", { ...f, by: "rule" }, `tijdigheid-${agb}.csv`)] },
        rules.length ? chartBox("provider-rules", Math.max(160, rules.length * 30 + 60)) : null,
        table("provider-rules", [
          { key: "kind", label: "Verplichting", render: (v) => kindLang(v) },
          { key: "rule", label: "Regel" },
          { key: "door", label: "Verschuldigd door" },
          { key: "total", label: "Totaal", type: "int" },
          { key: "on_time", label: "Tijdig", type: "int" },
          { key: "late", label: "Te laat", type: "int" },
          { key: "overdue", label: "Verlopen", type: "int" },
          { key: "open", label: "Open", type: "int" },
          { key: "pct_on_time", label: "% tijdig", type: "pct" },
          { key: "median_wd_late", label: "Mediaan werkdagen te laat", type: "int" },
        ], rules),
      ),
      card(
        "Verplichtingen",
        { wide: true, note: "Te laat en verlopen eerst, daarna op uiterste datum. Cliënten alleen als pseudoniem.", actions: [csvLink("obligations", { ...f, status: params.status }, `verplichtingen-${agb}.csv`)] },
        list,
        more,
      ),
    ),
  ];
  const draw = () => {
    const el = document.querySelector("[data-chart=provider-rules]");
    if (el) chart(el, statusBars(rules, (r) => `${kindKort(r.kind)} (${r.rule}${r.door === "gemeente" ? ", gemeente" : ""})`));
  };
  return { nodes, draw };
}
