import { assert, assertEquals } from "../helpers.ts";
import {
  detectFamily,
  FAMILIES,
  matchesRef,
  SERVER_FAMILIES,
} from "../../src/server_metrics/families.ts";
import { parsePrometheusText } from "../../src/server_metrics/prometheus.ts";

Deno.test("detectFamily() picks the family whose prefix most names carry", () => {
  assertEquals(
    detectFamily(["vllm:num_requests_running", "vllm:kv_cache_usage_perc", "python_gc_total"]),
    "vllm",
  );
  assertEquals(detectFamily(["sglang:num_running_reqs", "sglang:token_usage"]), "sglang");
  assertEquals(detectFamily(["tgi_queue_size", "tgi_batch_current_size"]), "tgi");
  assertEquals(detectFamily(["llamacpp:requests_processing"]), "llamacpp");
  assertEquals(detectFamily(["http_requests_total", "process_cpu_seconds_total"]), undefined);
});

Deno.test("detectFamily() recognizes each server's own exposition text", () => {
  // The shapes each server writes (prefixes, _total, label style), trimmed.
  const texts: Record<string, string> = {
    llamacpp: [
      "# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.",
      "# TYPE llamacpp:prompt_tokens_total counter",
      "llamacpp:prompt_tokens_total 6886",
      "# TYPE llamacpp:requests_processing gauge",
      "llamacpp:requests_processing 2",
      "# TYPE llamacpp:requests_deferred gauge",
      "llamacpp:requests_deferred 1",
    ].join("\n"),
    sglang: [
      "# TYPE sglang:num_running_reqs gauge",
      'sglang:num_running_reqs{model_name="m"} 3.0',
      "# TYPE sglang:num_queue_reqs gauge",
      'sglang:num_queue_reqs{model_name="m"} 0.0',
    ].join("\n"),
    tgi: ["# TYPE tgi_queue_size gauge", "tgi_queue_size 0"].join("\n"),
  };
  for (const [family, text] of Object.entries(texts)) {
    const { families, warnings } = parsePrometheusText(text);
    assertEquals(warnings, []);
    const names = [...families.values()].flatMap((f) => f.samples.map((s) => s.name));
    assertEquals(detectFamily(names), family);
  }
});

Deno.test("matchesRef() matches the exact sample name, a suffix and required labels", () => {
  const ref = { name: "tgi_batch_forward_duration", labels: { method: "prefill" } };
  assert(
    matchesRef(ref, "tgi_batch_forward_duration_bucket", { method: "prefill", le: "1" }, "_bucket"),
  );
  assert(
    !matchesRef(ref, "tgi_batch_forward_duration_bucket", { method: "decode", le: "1" }, "_bucket"),
  );
  assert(!matchesRef(ref, "tgi_batch_forward_duration_sum", { method: "prefill" }, "_bucket"));
  assert(!matchesRef({ name: "vllm:num_requests_running" }, "vllm:num_requests_running_x", {}));
  assert(matchesRef({ name: "vllm:num_requests_running" }, "vllm:num_requests_running", {}));
});

Deno.test("FAMILIES name only metrics of their own family, each family citing its source", () => {
  for (const f of SERVER_FAMILIES) {
    const m = FAMILIES[f];
    assertEquals(m.family, f);
    assert(m.source.length > 0, `${f} cites no source`);
    const refs = [
      ...Object.values(m.gauges).flatMap((g) => g.metrics),
      ...Object.values(m.ratios).flatMap((r) =>
        [r.counters?.numerator, r.counters?.denominator, r.gauge].filter((x) => x !== undefined)
      ),
      ...Object.values(m.histograms).flatMap((h) => h.metrics),
      ...(m.preemptions ? [m.preemptions] : []),
    ];
    for (const ref of refs) {
      assert(ref.name.startsWith(m.prefix), `${ref.name} lacks the ${f} prefix ${m.prefix}`);
    }
    assert(m.gauges.running && m.gauges.waiting, `${f} maps running and waiting`);
  }
});
