/**
 * Server-side metrics (issue #21): scrape a server's Prometheus `/metrics`
 * during each task, off the measured path, store the samples next to the
 * trace, and summarize them over the task window for the result JSON and
 * the report's panels.
 *
 * - {@link parsePrometheusText}: the text exposition format, bad lines as numbered warnings;
 * - {@link FAMILIES}, {@link detectFamily}: vLLM, SGLang, TGI and llama.cpp names per panel;
 * - {@link startScrapeWorker} / {@link startScraper}, {@link readServerMetrics}: the samples file;
 * - {@link summarizeServerMetrics}: the `server` block and the panel series.
 *
 * @module
 */

export {
  histogramSeries,
  type MetricFamily,
  type MetricType,
  parsePrometheusText,
  type ParseWarning,
  warningText,
} from "./prometheus.ts";
export {
  detectFamily,
  FAMILIES,
  type FamilyMetrics,
  SERVER_FAMILIES,
  type ServerFamily,
} from "./families.ts";
export {
  DEFAULT_SCRAPE_INTERVAL_MS,
  readServerMetrics,
  type ScrapeEvent,
  type ScrapeOptions,
  type Scraper,
  type ScrapeResult,
  type ScrapeWorkerReply,
  type ScrapeWorkerRequest,
  type ServerMetricsEntry,
  serveScrape,
  startScraper,
  startScrapeWorker,
} from "./scrape.ts";
export {
  compareLatency,
  describeServerBlock,
  histogramQuantile,
  LATENCY_COMPARISON_METHOD,
  type LatencyComparisonRow,
  type PanelSeries,
  type ServerBlock,
  ServerMetricsFold,
  type ServerSummary,
  type ServerWindow,
  summarizeServerMetrics,
} from "./summary.ts";
