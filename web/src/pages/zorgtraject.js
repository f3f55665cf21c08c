// Zorgtraject (/zorgtraject): the care lifecycle — how long clients wait from the request to
// the actual start (per provider and per month of start), who is waiting now, how long
// trajectories last and how they end (per plan, early, re-entry), and the Jeugdwet clients who
// turn 18 within a year while their allocation runs on (the 18+ handover).
import { getJson } from "../api.js";
import { chart, COLORS } from "../charts.js";
import { fmtInt, fmtPct, gemeenteNaam, maand, num } from "../format.js";
import { filters, link } from "../state.js";
import { card, chartBox, csvLink, h, kpis, table } from "../ui.js";

/** Rows a provider's own view adds with the regional median stay out of the charts. */
const own = (rows) => rows.filter((r) => r.provider !== "regio-mediaan");
const days = (v) => (num(v) === null ? "–" : `${fmtInt(v)} d`);

export async function zorgtraject() {
  const f = filters();
  const [waitProvider, waitMonth, waitingNow, trajProvider, handover] = await Promise.all([
    getJson("waiting", { ...f, by: "provider" }),
    getJson("waiting", { ...f, by: "month" }),
    getJson("waiting/now", f),
    getJson("trajectories", { ...f, by: "provider" }),
    getJson("handover", f),
  ]);
  const providers = own(waitProvider)
    .filter((r) => r.counted > 0)
    .sort((a, b) => num(b.median_days_from_request) - num(a.median_days_from_request));
  const topWait = providers.slice(0, 15);
  const traj = own(trajProvider).sort((a, b) => b.ended - a.ended);
  const topTraj = traj.slice(0, 15);
  const started = own(waitProvider).reduce((s, r) => s + r.started, 0);
  const retro = own(waitProvider).reduce((s, r) => s + r.retroactive, 0);
  const ended = traj.reduce((s, r) => s + r.ended, 0);
  const perPlan = traj.reduce((s, r) => s + r.volgens_plan, 0);
  const shownNow = waitingNow.slice(0, 50);
  const perMonth18 = {};
  for (const r of handover) perMonth18[r.turns_18_month] = (perMonth18[r.turns_18_month] || 0) + 1;
  const months18 = Object.keys(perMonth18).sort();

  const nodes = [
    kpis([
      { name: "started", label: "Gestart", value: fmtInt(started), sub: `waarvan ${fmtInt(retro)} met terugwerkende kracht toegewezen` },
      { name: "waiting_now", label: "Wacht nu op start", value: fmtInt(waitingNow.length), sub: "toewijzing loopt, nog geen startbericht" },
      { name: "ended", label: "Beëindigde trajecten", value: fmtInt(ended), sub: `${fmtInt(perPlan)} volgens plan` },
      { name: "handover", label: "18 binnen 12 maanden", value: fmtInt(handover.length), sub: "Jeugdwet-toewijzingen die doorlopen na de 18e verjaardag" },
    ]),
    h(
      "div",
      { class: "grid" },
      card(
        "Wachttijd tot start per aanbieder",
        {
          wide: true,
          note: `Kalenderdagen van de ontvangst van het verzoek (315, anders de toewijzing 301) tot de Begindatum van de eerste start (305): mediaan en 90e percentiel. De ${topWait.length} aanbieders met de langste mediaan; toewijzingen met terugwerkende kracht tellen apart.`,
          actions: [csvLink("waiting", { ...f, by: "provider" }, "wachttijd-per-aanbieder.csv")],
        },
        chartBox("wait-provider", Math.max(220, topWait.length * 26 + 70)),
        h("details", {}, h("summary", {}, `Alle ${providers.length} aanbieders`),
          table("waiting-provider", [
            { key: "provider", label: "AGB", render: (v) => h("a", { href: link(`/aanbieder/${v}`) }, v) },
            { key: "started", label: "Gestart", type: "int" },
            { key: "retroactive", label: "Terugwerkend", type: "int" },
            { key: "counted", label: "Geteld", type: "int" },
            { key: "median_days_from_request", label: "Mediaan vanaf verzoek", type: "int" },
            { key: "p90_days_from_request", label: "P90 vanaf verzoek", type: "int" },
            { key: "median_days_from_ingang", label: "Mediaan vanaf ingangsdatum", type: "int" },
            { key: "p90_days_from_ingang", label: "P90 vanaf ingangsdatum", type: "int" },
          ], own(waitProvider))),
      ),
      card(
        "Wachttijd per maand van start",
        { note: "Mediaan en 90e percentiel in kalenderdagen, naar de maand waarin de zorg begon.", actions: [csvLink("waiting", { ...f, by: "month" }, "wachttijd-per-maand.csv")] },
        chartBox("wait-month", 280),
      ),
      card(
        "Trajectduur en uitkomst per aanbieder",
        {
          note: "Kalenderdagen van de eerste start (305) tot het definitieve einde (307): mediaan en 90e percentiel, met het aandeel beëindigd volgens plan (reden 31 Jeugdwet, 19 Wmo). De aanbieders met de meeste beëindigde trajecten.",
          actions: [csvLink("trajectories", { ...f, by: "provider" }, "trajecten-per-aanbieder.csv")],
        },
        chartBox("trajectories", Math.max(220, topTraj.length * 26 + 70)),
      ),
      card(
        "Wie wacht nu",
        {
          wide: true,
          note: `Toewijzingen die nu lopen zonder startbericht, langste wachttijd eerst (${shownNow.length} van ${waitingNow.length}; de CSV bevat alle). Cliënten alleen als pseudoniem.`,
          actions: [csvLink("waiting/now", f, "wacht-nu.csv")],
        },
        table("waiting-now", [
          { key: "gemeente", label: "Gemeente", render: (v) => gemeenteNaam(v) },
          { key: "agb", label: "AGB" },
          { key: "client_pseudonym", label: "Cliënt (pseudoniem)", render: (v) => h("code", {}, String(v).slice(0, 12)) },
          { key: "toewijzing_nummer", label: "Toewijzing" },
          { key: "productcode", label: "Product" },
          { key: "waiting_since", label: "Wacht sinds" },
          { key: "days_waiting", label: "Dagen", type: "int" },
        ], shownNow, { empty: "Niemand wacht op een start voor deze selectie." }),
      ),
      card(
        "Trajecten: uitkomst en heraanmelding",
        {
          wide: true,
          note: "Heraanmelding: een nieuwe toewijzing voor dezelfde cliënt en productcategorie binnen 6 of 12 maanden na het einde, als deel van de trajecten waarvan die periode al voorbij is.",
          actions: [csvLink("trajectories", { ...f, by: "provider" }, "trajecten-per-aanbieder.csv")],
        },
        table("trajectories-provider", [
          { key: "provider", label: "AGB" },
          { key: "ended", label: "Beëindigd", type: "int" },
          { key: "median_days", label: "Mediaan dagen", type: "int" },
          { key: "p90_days", label: "P90 dagen", type: "int" },
          { key: "volgens_plan_pct", label: "% volgens plan", type: "pct" },
          { key: "voortijdig_pct", label: "% voortijdig", type: "pct" },
          { key: "reentry_6m_pct", label: "% terug binnen 6 mnd", type: "pct" },
          { key: "reentry_12m_pct", label: "% terug binnen 12 mnd", type: "pct" },
        ], traj, { empty: "Geen beëindigde trajecten voor deze selectie." }),
      ),
      card(
        "18+: overgang naar volwassenheid",
        {
          wide: true,
          note: "Jeugdwet-cliënten die binnen 12 maanden 18 worden terwijl hun toewijzing na die verjaardag doorloopt: per gemeente en aanbieder, met het toewijzingsnummer om de cliënt in het eigen systeem te vinden. Alleen de maand van de 18e verjaardag wordt bewaard.",
          actions: [csvLink("handover", f, "18-plus.csv")],
        },
        months18.length ? chartBox("handover", 220) : null,
        table("handover", [
          { key: "gemeente", label: "Gemeente", render: (v) => gemeenteNaam(v) },
          { key: "agb", label: "AGB" },
          { key: "client_pseudonym", label: "Cliënt (pseudoniem)", render: (v) => h("code", {}, String(v).slice(0, 12)) },
          { key: "toewijzing_nummer", label: "Toewijzing" },
          { key: "turns_18_month", label: "18 in", render: (v) => maand(v) },
          { key: "einddatum", label: "Einddatum toewijzing" },
        ], handover, { empty: "Geen cliënten die binnen 12 maanden 18 worden voor deze selectie." }),
      ),
    ),
  ];

  const draw = () => {
    chart(document.querySelector("[data-chart=wait-provider]"), {
      grid: { left: 8, right: 40, top: 30, bottom: 30 },
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: days },
      xAxis: { type: "value", axisLabel: { formatter: "{value} d" } },
      yAxis: { type: "category", inverse: true, data: topWait.map((r) => r.provider) },
      series: [
        { name: "Mediaan", type: "bar", color: COLORS.realised, data: topWait.map((r) => num(r.median_days_from_request)), barGap: "-100%", z: 3, barMaxWidth: 18 },
        { name: "90e percentiel", type: "bar", color: COLORS.remaining, data: topWait.map((r) => num(r.p90_days_from_request)), barMaxWidth: 18 },
      ],
    });
    const months = waitMonth.filter((r) => r.counted > 0);
    chart(document.querySelector("[data-chart=wait-month]"), {
      grid: { left: 8, right: 20, top: 30, bottom: 30 },
      legend: { top: 0 },
      tooltip: { trigger: "axis", valueFormatter: days },
      xAxis: { type: "category", data: months.map((r) => maand(r.month)) },
      yAxis: { type: "value", axisLabel: { formatter: "{value} d" } },
      series: [
        { name: "Mediaan", type: "bar", color: COLORS.realised, data: months.map((r) => num(r.median_days_from_request)), barMaxWidth: 40 },
        { name: "90e percentiel", type: "bar", color: COLORS.remaining, data: months.map((r) => num(r.p90_days_from_request)), barMaxWidth: 40 },
      ],
    });
    chart(document.querySelector("[data-chart=trajectories]"), {
      grid: { left: 8, right: 40, top: 30, bottom: 30 },
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: days },
      xAxis: { type: "value", axisLabel: { formatter: "{value} d" } },
      yAxis: { type: "category", inverse: true, data: topTraj.map((r) => `${r.provider} (${fmtPct(r.volgens_plan_pct)} volgens plan)`) },
      series: [
        { name: "Mediaan", type: "bar", color: COLORS.realised, data: topTraj.map((r) => num(r.median_days)), barGap: "-100%", z: 3, barMaxWidth: 18 },
        { name: "90e percentiel", type: "bar", color: COLORS.remaining, data: topTraj.map((r) => num(r.p90_days)), barMaxWidth: 18 },
      ],
    });
    const el = document.querySelector("[data-chart=handover]");
    if (el)
      chart(el, {
        grid: { left: 8, right: 20, top: 20, bottom: 30 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: months18.map(maand) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: "Cliënten die 18 worden", type: "bar", color: COLORS.late, data: months18.map((m) => perMonth18[m]), barMaxWidth: 40 }],
      });
  };
  return { nodes, draw };
}
