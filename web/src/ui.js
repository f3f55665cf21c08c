// Small DOM helpers: elements, cards, tables with CSV links, key-figure tiles.
import { downloadCsv } from "./api.js";
import { fmtEur, fmtInt, fmtPct } from "./format.js";

/** `h("div", {class: "x"}, child, "text")`; attributes starting with "on" become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A titled section of the page. `wide` spans the whole grid row. */
export function card(title, { wide = false, note, actions = [] } = {}, ...body) {
  return h(
    "section",
    { class: wide ? "card wide" : "card" },
    h("div", { class: "card-head" }, h("h2", {}, title), h("div", { class: "actions" }, actions)),
    note ? h("p", { class: "note" }, note) : null,
    ...body,
  );
}

/** A box a chart is drawn into; `name` lets the test find it. */
export function chartBox(name, height = 320) {
  return h("div", { class: "chart", "data-chart": name, style: `height:${height}px` });
}

/** "CSV" link to the same API table as a file (fetched with the token, see api.js). */
export function csvLink(path, params, filename) {
  return h(
    "a",
    {
      class: "csv",
      href: "#",
      title: "Download deze tabel als CSV",
      onclick: (e) => {
        e.preventDefault();
        downloadCsv(path, params, filename).catch((err) => showError(err));
      },
    },
    "CSV",
  );
}

const FORMAT = { int: fmtInt, eur: fmtEur, pct: fmtPct };

/**
 * A table. `columns`: `{key, label, type: "text"|"int"|"eur"|"pct", render?}`. Every cell carries
 * `data-col` with its column key, the table `data-table` with its name, so the browser test can
 * read what the page shows and compare it with the API.
 */
export function table(name, columns, rows, { onRow, empty = "Geen gegevens voor deze selectie." } = {}) {
  if (!rows.length) return h("p", { class: "empty", "data-table": name }, empty);
  const head = h("tr", {}, columns.map((c) => h("th", { class: c.type && c.type !== "text" ? "num" : "" }, c.label)));
  const body = rows.map((r) =>
    h(
      "tr",
      { class: onRow ? "clickable" : "", onclick: onRow ? () => onRow(r) : undefined },
      columns.map((c) => {
        const v = r[c.key];
        const content = c.render ? c.render(v, r) : (FORMAT[c.type] || String)(v ?? "–");
        return h("td", { class: c.type && c.type !== "text" ? "num" : "", "data-col": c.key }, content);
      }),
    ),
  );
  return h("div", { class: "table-wrap" }, h("table", { "data-table": name }, h("thead", {}, head), h("tbody", {}, body)));
}

/** A row of key figures: `[{label, value, sub, name}]`. */
export function kpis(items) {
  return h(
    "div",
    { class: "kpis" },
    items.map((i) =>
      h(
        "div",
        { class: "kpi", "data-kpi": i.name },
        h("div", { class: "kpi-label" }, i.label),
        h("div", { class: "kpi-value" }, i.value),
        i.sub ? h("div", { class: "kpi-sub" }, i.sub) : null,
      ),
    ),
  );
}

export function showError(err) {
  const box = document.getElementById("error");
  box.textContent = `Er ging iets mis: ${err && err.message ? err.message : err}`;
  box.hidden = false;
}

export function clearError() {
  document.getElementById("error").hidden = true;
}
