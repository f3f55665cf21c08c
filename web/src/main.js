// The dashboard: reads /api/v1/meta once, fills the shared filters, and renders the page the
// path names. Links and filters change the URL (history API) and re-render without a reload.
import { getJson } from "./api.js";
import { disposeAll } from "./charts.js";
import { gemeenteNaam, maand, STANDARD } from "./format.js";
import { FILTERS, query, setQuery } from "./state.js";
import { clearError, h, showError } from "./ui.js";
import { overzicht } from "./pages/overzicht.js";
import { tijdigheid } from "./pages/tijdigheid.js";
import { kosten } from "./pages/kosten.js";
import { aanbieder } from "./pages/aanbieder.js";
import { zorgtraject } from "./pages/zorgtraject.js";

let meta = null;
let rendering = 0;

/** The page for the current path, and its argument (the AGB of /aanbieder/<agb>). */
function route() {
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const m = /^\/aanbieder\/(\d{8})$/.exec(path);
  if (m) return { name: "tijdigheid", render: aanbieder, arg: m[1] };
  if (path === "/tijdigheid") return { name: "tijdigheid", render: tijdigheid };
  if (path === "/kosten") return { name: "kosten", render: kosten };
  if (path === "/zorgtraject") return { name: "zorgtraject", render: zorgtraject };
  return { name: "overzicht", render: overzicht };
}

function options(select, values, label, all) {
  select.replaceChildren(h("option", { value: "" }, all), ...values.map((v) => h("option", { value: v }, label(v))));
}

function fillFilters() {
  const form = document.getElementById("filters");
  options(form.from, meta.months, maand, "eerste maand");
  options(form.to, meta.months, maand, "laatste maand");
  options(form.gemeente, meta.gemeenten, gemeenteNaam, "alle gemeenten");
  options(form.agb, meta.aanbieders, String, "alle aanbieders");
  options(form.standard, meta.standards, (s) => STANDARD[s] || s, "beide wetten");
  options(form.categorie, meta.categorieen, String, "alle categorieën");
  form.addEventListener("change", (e) => {
    if (e.target.name) {
      setQuery({ [e.target.name]: e.target.value });
      render();
    }
  });
  document.getElementById("reset").addEventListener("click", () => {
    setQuery(Object.fromEntries(FILTERS.map((k) => [k, ""])));
    render();
  });
  const scope = document.getElementById("scope");
  scope.textContent =
    meta.scope === "regio" ? "Toegang: hele regio" : `Toegang: ${meta.scope.replace(":", " ")}`;
}

/** Shows the URL's filter values in the form. */
function syncFilters() {
  const form = document.getElementById("filters");
  const q = query();
  for (const k of FILTERS) form[k].value = q[k] || "";
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.dataset.page === route().name);
    a.href = `${new URL(a.href).pathname}${location.search ? filtersOnly() : ""}`;
  }
}

function filtersOnly() {
  const q = new URLSearchParams();
  const cur = query();
  for (const k of FILTERS) if (cur[k]) q.set(k, cur[k]);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Renders the current page; a newer render makes an older, still loading one give up. */
export async function render() {
  const mine = ++rendering;
  document.body.dataset.ready = "false";
  clearError();
  syncFilters();
  const r = route();
  const main = document.getElementById("page");
  main.dataset.page = r.name;
  main.setAttribute("aria-busy", "true");
  try {
    const content = await r.render({ meta, arg: r.arg, stale: () => mine !== rendering });
    if (mine !== rendering) return;
    disposeAll();
    main.replaceChildren(...content.nodes);
    content.draw();
    window.__ijwmoReadyAt = performance.now();
    document.body.dataset.ready = "true";
  } catch (err) {
    if (mine !== rendering) return;
    showError(err);
    document.body.dataset.ready = "error";
  } finally {
    main.removeAttribute("aria-busy");
  }
}

/** Internal links navigate without a reload. */
document.addEventListener("click", (e) => {
  const a = e.target.closest && e.target.closest("a[href^='/']");
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || a.target) return;
  e.preventDefault();
  history.pushState(null, "", a.getAttribute("href"));
  window.scrollTo(0, 0);
  render();
});
window.addEventListener("popstate", render);

async function start() {
  try {
    meta = await getJson("meta");
  } catch (err) {
    showError(err);
    document.body.dataset.ready = "error";
    return;
  }
  fillFilters();
  await render();
}

start();
