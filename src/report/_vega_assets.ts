/**
 * The Vega runtime, the Vega-Lite compiler and vega-embed, minified builds
 * from their npm packages, as text. Imported only lazily (html.ts): with `nodeModulesDir: "auto"`
 * Deno fills `node_modules/` while it loads the module graph, after it has
 * looked for the static imports' files, so a static import of these paths
 * fails on the first run of a fresh clone ("Module not found"). A dynamic
 * import with a literal specifier is still part of the graph that `deno
 * bundle` and `deno compile` carry.
 *
 * @module
 */

import vegaJs from "../../node_modules/vega/build/vega.min.js" with { type: "text" };
import vegaLiteJs from "../../node_modules/vega-lite/build/vega-lite.min.js" with {
  type: "text",
};
import vegaEmbedJs from "../../node_modules/vega-embed/build/vega-embed.min.js" with {
  type: "text",
};

export { vegaEmbedJs, vegaJs, vegaLiteJs };
