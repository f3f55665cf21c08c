// Dutch number formats, and Dutch names for the codes the API returns.

const euro = new Intl.NumberFormat("nl-NL", { style: "currency", currency: "EUR" });
const euroWhole = new Intl.NumberFormat("nl-NL", { style: "currency", currency: "EUR", maximumFractionDigits: 0 });
const mln = new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 1 });
const int = new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 0 });
const pct1 = new Intl.NumberFormat("nl-NL", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** The API sends decimals as strings ("262758.03"); empty is null. */
export const num = (v) => {
  if (v === null || v === undefined || v === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

export const fmtEur = (v) => (num(v) === null ? "–" : euro.format(num(v)));
/** Axis labels: "€ 2,5 mln" from a million on, "€ 250k" from ten thousand, whole euros below. */
export const fmtEurShort = (v) => {
  const n = num(v);
  if (n === null) return "–";
  if (Math.abs(n) >= 1e6) return `€ ${mln.format(n / 1e6)} mln`;
  if (Math.abs(n) >= 1e4) return `€ ${mln.format(n / 1e3)}k`;
  return euroWhole.format(n);
};
export const fmtInt = (v) => (num(v) === null ? "–" : int.format(num(v)));
export const fmtPct = (v) => (num(v) === null ? "–" : `${pct1.format(num(v))} %`);

/** The CBS codes of the municipalities the generator and the region use. */
const GEMEENTEN = {
  "0513": "Gouda",
  "0627": "Waddinxveen",
  1892: "Zuidplas",
  1901: "Bodegraven-Reeuwijk",
  1931: "Krimpenerwaard",
};
export const gemeenteNaam = (code) => (GEMEENTEN[code] ? `${GEMEENTEN[code]} (${code})` : code);

/** Obligation kinds (the API's `kind`): short label for charts, long one for tables. */
const KINDS = {
  retour: ["Retour", "Retourbericht op heenbericht"],
  declaratie_antwoord: ["Antwoord 325", "Declaratie-antwoord (325)"],
  start: ["Start", "Startbericht"],
  stop: ["Stop", "Stopbericht"],
  antwoord_vot: ["Antwoord VOT", "Antwoord op verzoek om toewijzing"],
  antwoord_vow: ["Antwoord VOW", "Antwoord op verzoek om wijziging"],
  eindantwoord_vot: ["Eindantwoord VOT", "Eindantwoord op verzoek om toewijzing"],
  eindantwoord_vow: ["Eindantwoord VOW", "Eindantwoord op verzoek om wijziging"],
  woonplaatsbeginsel: ["Woonplaatsbeginsel", "Woonplaatsbeginsel gewijzigd"],
  declaratie: ["Declaratie", "Maandelijkse declaratie"],
};
export const kindKort = (k) => (KINDS[k] ? KINDS[k][0] : k);
export const kindLang = (k) => (KINDS[k] ? KINDS[k][1] : k);
export const KIND_CODES = Object.keys(KINDS);

export const STATUS = {
  on_time: "tijdig",
  late: "te laat",
  overdue: "verlopen",
  open: "open",
};

export const STANDARD = { ijw: "Jeugdwet (iJw)", iwmo: "Wmo (iWmo)" };

const MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];
/** "2025-03" → "mrt 2025". */
export const maand = (ym) => {
  const m = /^(\d{4})-(\d{2})$/.exec(ym || "");
  return m ? `${MONTHS[Number(m[2]) - 1]} ${m[1]}` : ym;
};
