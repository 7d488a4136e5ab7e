/**
 * Self-contained HTML pages: the Vega runtime and vega-embed (minified builds
 * from their npm packages, imported as text so bundles and binaries carry
 * them) are inlined, specs are compiled from Vega-Lite in the tool, and every
 * string that came from outside is escaped. Data goes in as JSON that cannot
 * close its script element. The page makes no network request.
 *
 * @module
 */

// Lazily, so the first run of a fresh clone finds node_modules filled (see _vega_assets.ts).
const { vegaJs, vegaEmbedJs } = await import("./_vega_assets.ts");

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON for a `<script type="application/json">` element: `<`, `>`, `&` and the
 * line separators are escaped, so no value can close the element or start markup.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Inline scripts must not contain `</script`: split it where a minified build has it in a string. */
function inlineScript(js: string): string {
  return js.replace(/<\/script/gi, "<\\/script");
}

/** One chart: a container id and a compiled Vega spec. */
export interface Chart {
  id: string;
  spec: unknown;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d2330; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.meta { color: #5b6475; margin-bottom: 12px; } .note { background: #fff6dd; border: 1px solid #f0d68a; padding: 8px 12px; border-radius: 6px; margin: 10px 0; }
.warn { background: #fdecea; border-color: #f5b7b1; }
table.metrics { border-collapse: collapse; margin: 8px 0; } table.metrics td, table.metrics th { border: 1px solid #dde1e8; padding: 4px 10px; text-align: right; }
table.metrics th { background: #f3f5f8; } table.metrics td:first-child, table.metrics th:first-child { text-align: left; }
.charts > div { display: block; margin: 8px 0 18px; }
`;

/** Builds a page: a title, escaped-by-caller HTML body parts, and the charts rendered into them. */
export function htmlPage(title: string, bodyHtml: string, charts: readonly Chart[]): string {
  const embeds = charts.map((c) => `<div id="${escapeHtml(c.id)}"></div>`).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; connect-src 'none'">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
<script>${inlineScript(vegaJs)}</script>
<script>${inlineScript(vegaEmbedJs)}</script>
</head>
<body>
${bodyHtml}
<div class="charts">
${embeds}
</div>
<script type="application/json" id="servebench-charts">${scriptJson(charts)}</script>
<script>
(function () {
  var charts = JSON.parse(document.getElementById("servebench-charts").textContent);
  window.servebenchViews = {};
  var pending = charts.map(function (c) {
    return vegaEmbed("#" + c.id, c.spec, {
      mode: "vega",
      renderer: "svg",
      actions: { export: { svg: true, png: true }, source: false, compiled: false, editor: false },
      downloadFileName: c.id,
    }).then(function (r) { window.servebenchViews[c.id] = r.view; });
  });
  Promise.all(pending).then(function () { document.body.setAttribute("data-rendered", "true"); },
    function (e) { document.body.setAttribute("data-render-error", String(e)); console.error(e); });
})();
</script>
</body>
</html>
`;
}
