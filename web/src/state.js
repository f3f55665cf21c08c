// The view's state lives in the URL: the path names the page, the query string holds the shared
// filters and the page's own choices, so a view can be bookmarked and sent.

/** The filters every page shares; the names are the API's query parameters. */
export const FILTERS = ["from", "to", "gemeente", "agb", "standard", "categorie"];

/** The current query string as a plain object. */
export function query() {
  return Object.fromEntries(new URLSearchParams(location.search));
}

/** The shared filters of the current URL, ready to pass to the API. */
export function filters() {
  const q = query();
  const f = {};
  for (const k of FILTERS) if (q[k]) f[k] = q[k];
  return f;
}

/** Sets (or with "" removes) query parameters and records the new URL in the history. */
export function setQuery(changes, { replace = false } = {}) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === "") q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  const url = `${location.pathname}${s ? `?${s}` : ""}`;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
}

/** A path inside the dashboard that keeps the shared filters of the current URL. */
export function link(path, extra = {}) {
  const q = new URLSearchParams(filters());
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  const s = q.toString();
  return `${path}${s ? `?${s}` : ""}`;
}

/** Navigates inside the dashboard (as a click on an internal link does). */
export function go(href) {
  history.pushState(null, "", href);
  window.dispatchEvent(new PopStateEvent("popstate"));
}
