// Builds the dashboard into ../src/http/assets/ (committed, embedded in the binary by rust-embed):
// app.js (our modules + the parts of ECharts we use, minified), app.css, index.html, errors.js.
// Run `npm ci && npm run build` in web/ after changing anything under web/src/.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const out = new URL("../src/http/assets/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });

await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  format: "iife",
  minify: true,
  target: "es2020",
  legalComments: "eof",
  outfile: `${out}app.js`,
  logLevel: "info",
});
for (const file of ["index.html", "app.css", "errors.js"]) {
  copyFileSync(`src/${file}`, `${out}${file}`);
}
