// Talks to /api/v1 (see the API contract): adds the bearer token from sessionStorage when there
// is one, and on 401 asks for a token once (a small dialog), stores it and tries again.

const TOKEN_KEY = "ijwmo-token";

/** Thrown for an answer that is not 2xx; `message` is the API's own `error` text if it gave one. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** `/api/v1/<path>?<params>`, leaving out empty parameters. */
export function apiUrl(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, v);
  }
  const s = q.toString();
  return `/api/v1/${path}${s ? `?${s}` : ""}`;
}

let asking = null;

/** Shows the token dialog; resolves when the user has entered one. One dialog for all callers. */
function askToken(reason) {
  if (!asking) {
    asking = new Promise((resolve) => {
      const dialog = document.getElementById("token-dialog");
      const form = document.getElementById("token-form");
      const p = dialog.querySelector("p");
      if (reason) p.textContent = reason;
      form.onsubmit = () => {
        sessionStorage.setItem(TOKEN_KEY, form.token.value.trim());
        form.token.value = "";
        asking = null;
        resolve();
      };
      dialog.showModal();
    });
  }
  return asking;
}

async function request(url) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, { headers: headers() });
    if (res.status === 401 && attempt < 3) {
      sessionStorage.removeItem(TOKEN_KEY);
      await askToken(
        attempt === 0
          ? "Deze dashboardserver vraagt om een toegangstoken. Vraag het aan de beheerder van ijwmo in uw regio."
          : "Dat token werd niet geaccepteerd. Probeer het opnieuw.",
      );
      continue;
    }
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      try {
        const body = await res.json();
        if (body && body.error) message = body.error;
      } catch {
        // not JSON: keep the status line
      }
      throw new ApiError(res.status, message);
    }
    return res;
  }
}

/** GET a JSON endpoint. */
export async function getJson(path, params) {
  const res = await request(apiUrl(path, params));
  return res.json();
}

/**
 * Downloads the CSV of a table. A plain link would not carry the bearer token, so the file is
 * fetched with it and handed to the browser as a blob.
 */
export async function downloadCsv(path, params, filename) {
  const res = await request(apiUrl(path, { ...params, format: "csv" }));
  const blob = await res.blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
