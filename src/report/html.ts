/**
 * Self-contained HTML pages: the Vega runtime, the Vega-Lite compiler and
 * vega-embed (minified builds from their npm packages, imported as text so
 * bundles and binaries carry them) are inlined, and the page compiles its
 * Vega-Lite specs as it opens; every string that came from outside is escaped.
 *
 * The tool never loads Vega-Lite itself (only its types): the compiler's
 * module takes about 11 MB of heap, a third of what reporting 100,000
 * requests needs besides it (docs/performance.md, "Memory in long runs"). Data goes in as JSON that cannot
 * close its script element. The page makes no network request.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";

// Lazily, so the first run of a fresh clone finds node_modules filled (see _vega_assets.ts).
const { vegaJs, vegaLiteJs, vegaEmbedJs } = await import("./_vega_assets.ts");

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

/** One chart: a container id, its Vega-Lite spec, and its renderer (default SVG). */
export interface Chart {
  id: string;
  spec: TopLevelSpec;
  /** Canvas where SVG would hold too many paths to stay responsive. */
  renderer?: "svg" | "canvas";
  /** The compiled spec's width, to be fitted to the page's (480 px to 1600 px, room left for axes and legend). */
  fit?: number;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d2330; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.meta { color: #5b6475; margin-bottom: 12px; } .note { background: #fff6dd; border: 1px solid #f0d68a; padding: 8px 12px; border-radius: 6px; margin: 10px 0; }
.warn { background: #fdecea; border-color: #f5b7b1; }
table.metrics { border-collapse: collapse; margin: 8px 0; } table.metrics td, table.metrics th { border: 1px solid #dde1e8; padding: 4px 10px; text-align: right; }
table.metrics th { background: #f3f5f8; } table.metrics td:first-child, table.metrics th:first-child { text-align: left; }
.charts > div, div.chart { display: block; margin: 8px 0 18px; max-width: 100%; overflow-x: auto; }
.grid { display: flex; flex-wrap: wrap; gap: 8px 24px; } .row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
details { margin: 10px 0; } summary { cursor: pointer; font-weight: 600; }
.verdict { border: 1px solid #dde1e8; border-radius: 8px; padding: 10px 14px; margin: 12px 0; background: #fafbfc; }
.verdict.failing { border-color: #f5b7b1; } .verdict.passing { border-color: #a9dfbf; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; } .tile { min-width: 110px; padding: 4px 10px; border-left: 3px solid #dde1e8; }
.tile .k { color: #5b6475; font-size: 12px; } .tile .v { font-size: 18px; font-weight: 600; }
.badge { padding: 1px 8px; border-radius: 10px; font-weight: 700; font-size: 13px; }
.badge.pass { background: #d5f5e3; color: #196f3d; } .badge.fail { background: #fadbd8; color: #922b21; } .badge.none { background: #eceff3; color: #5b6475; }
td.bad { color: #922b21; font-weight: 600; } td.ok { color: #196f3d; } td.msg { text-align: left; max-width: 520px; word-break: break-word; }
.client.lagging { color: #922b21; font-weight: 600; } .client { color: #5b6475; margin: 4px 0; } .reason { margin: 6px 0; font-weight: 600; }
`;

/** A chart's container, where the body places it (charts the body does not place follow it). */
export function chartDiv(id: string): string {
  return `<div id="${escapeHtml(id)}" class="chart"></div>`;
}

/**
 * Builds a page: a title, escaped-by-caller HTML body parts, and the charts
 * rendered into them; `script` runs once every chart has rendered (with
 * `window.servebenchViews` by chart id).
 */
export function htmlPage(
  title: string,
  bodyHtml: string,
  charts: readonly Chart[],
  script = "",
): string {
  const embeds = charts.filter((c) => !bodyHtml.includes(chartDiv(c.id))).map((c) => chartDiv(c.id))
    .join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; connect-src 'none'">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
<script>${inlineScript(vegaJs)}</script>
<script>${inlineScript(vegaLiteJs)}</script>
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
      mode: "vega-lite",
      renderer: c.renderer || "svg",
      actions: { export: { svg: true, png: true }, source: false, compiled: false, editor: false },
      downloadFileName: c.id,
      patch: function (spec) {
        if (c.fit && spec.width === c.fit) {
          spec.width = Math.max(480, Math.min(1600, document.body.clientWidth - 190));
        }
        return spec;
      },
    }).then(function (r) { window.servebenchViews[c.id] = r.view; });
  });
  Promise.all(pending).then(function () {
    ${inlineScript(script)}
    document.body.setAttribute("data-rendered", "true");
  },
    function (e) { document.body.setAttribute("data-render-error", String(e)); console.error(e); });
})();
</script>
</body>
</html>
`;
}
