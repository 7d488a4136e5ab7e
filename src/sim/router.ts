/**
 * The simulator's HTTP routing: the model list, health, stats and `/metrics`
 * (vLLM's names, engine_metrics.ts) pages, and
 * each completions path to its wire format; a request body that is not a
 * JSON object, or that its wire rejects, is answered before it counts.
 *
 * @module
 */

import type { Capacity } from "./capacity.ts";
import { earlyFault, type FaultPicker, type FaultPlan } from "./faults.ts";
import { SIM_SERVERS, type SimServerKind } from "../sim_options.ts";

export { SIM_SERVERS, type SimServerKind };
import { errorResponse, modelsResponse, openaiWire } from "./openai_wire.ts";
import { ollamaTags, ollamaVersion, ollamaWire } from "./ollama_wire.ts";
import { anthropicModels, anthropicWire } from "./anthropic_wire.ts";
import { responsesWire } from "./responses_wire.ts";
import { embeddingsWire } from "./embeddings_wire.ts";
import { type SimCore, streamResponse, wholeResponse } from "./stream.ts";
import type { Json, SimWire } from "./wire.ts";
import { VLLM_METRICS_CONTENT_TYPE } from "./metrics_exposition.ts";
import { tgiInfo, tgiWire } from "./tgi_wire.ts";
import { llamacppProps, llamacppWire } from "./llamacpp_wire.ts";
import { sglangModelInfo, sglangWire } from "./sglang_wire.ts";

interface NativeRoutes {
  /** POST paths to their wire formats. */
  readonly wires: Record<string, SimWire>;
  /** The server's own `GET` discovery page (what `--api auto` probes). */
  readonly discovery?: readonly [string, (model: string) => Response];
}

/** Each server's native routes, beside the OpenAI ones every one of them also serves. */
const NATIVE: Record<SimServerKind, NativeRoutes> = {
  vllm: { wires: {} },
  tgi: {
    wires: { "/generate_stream": tgiWire(true), "/generate": tgiWire(false) },
    discovery: ["/info", tgiInfo],
  },
  llamacpp: { wires: { "/completion": llamacppWire() }, discovery: ["/props", llamacppProps] },
  sglang: { wires: { "/generate": sglangWire() }, discovery: ["/get_model_info", sglangModelInfo] },
  // Its chat and generate routes are served by every simulator; its GET pages only when it plays
  // Ollama, so `--api auto` against another server does not find an Ollama.
  ollama: { wires: {}, discovery: ["/api/version", () => ollamaVersion()] },
};

/** What the router answers from. */
export interface RouterOptions {
  readonly model: string;
  readonly capacity: Capacity;
  readonly faults: FaultPicker;
  readonly faultPlan: FaultPlan | undefined;
  /** Requests held by `stall_headers` and slow discovery, answered at shutdown. */
  readonly stalledHeaders: Set<() => void>;
  /** The server played (its native routes); default `vllm`. */
  readonly server?: SimServerKind;
  /** Called with each completions request's arrival (time origin + now, ms) and body as it is counted. */
  readonly onArrival?: (arrivedMs: number, body: Json) => void;
}

/** Resolves after `ms`, or when `stalled`'s resolvers are called (at shutdown). */
function held(ms: number, stalled: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stalled.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stalled.add(done);
  });
}

/** The request handler of a simulator. */
export function simRouter(
  core: SimCore,
  options: RouterOptions,
): (req: Request) => Promise<Response> {
  const { model, capacity } = options;
  // One line per protocol: its path and its wire format.
  const wires: Record<string, SimWire> = {
    "/v1/chat/completions": openaiWire(true, model),
    "/v1/completions": openaiWire(false, model),
    "/api/chat": ollamaWire(true, model),
    "/api/generate": ollamaWire(false, model),
    "/v1/messages": anthropicWire(model),
    "/v1/responses": responsesWire(model),
    "/v1/embeddings": embeddingsWire(model),
    ...NATIVE[options.server ?? "vllm"].wires,
  };
  const discovery = NATIVE[options.server ?? "vllm"].discovery;
  const discoveryPaths = new Set(["/v1/models", "/api/tags", ...(discovery ? [discovery[0]] : [])]);
  return async (req) => {
    const arrived = performance.now();
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && discoveryPaths.has(path)) {
      capacity.stats.discoveryRequests++;
      const delayMs = options.faultPlan?.discoveryDelayMs;
      if (delayMs) await held(delayMs, options.stalledHeaders);
    }
    if (req.method === "GET") {
      // Anthropic's clients send `anthropic-version` with every request, discovery included.
      if (path === "/v1/models" && req.headers.has("anthropic-version")) {
        return anthropicModels(model);
      }
      if (path === "/v1/models") return modelsResponse(model);
      if (path === "/api/tags" && options.server === "ollama") return ollamaTags(model);
      if (discovery && path === discovery[0]) return discovery[1](model);
      if (path === "/health") return new Response(null, { status: 200 });
      if (path === "/sim/stats") return Response.json(capacity.stats);
      if (path === "/metrics") {
        const { active: running, queued: waiting } = capacity.stats;
        return new Response(core.metrics.exposition({ running, waiting }), {
          headers: { "content-type": VLLM_METRICS_CONTENT_TYPE },
        });
      }
    }
    const wire = Object.hasOwn(wires, path) ? wires[path] : undefined;
    if (req.method !== "POST" || !wire) {
      return errorResponse(404, `Not Found: ${req.method} ${path}`, { type: "NotFoundError" });
    }
    let body: Json;
    try {
      const parsed = await req.json();
      if (typeof parsed !== "object" || parsed === null) throw new Error("not an object");
      body = parsed as Json;
    } catch {
      return errorResponse(400, "Request body is not a JSON object", { type: "BadRequestError" });
    }
    const invalid = wire.validate(body);
    if (invalid) return invalid;
    capacity.stats.requests++;
    options.onArrival?.(performance.timeOrigin + arrived, body);
    const fault = options.faults.next();
    if (fault) {
      const early = await earlyFault(fault, {
        plan: options.faultPlan,
        stalledHeaders: options.stalledHeaders,
        ...(wire.httpError ? { httpError: wire.httpError } : {}),
      });
      if (early) return early;
    }
    // `json_body`: a buffering proxy in front of the server answers a stream with the whole body.
    return (wire.streams?.(body) ?? body.stream === true) && fault !== "json_body"
      ? streamResponse(core, wire, { body, arrived, fault })
      : await wholeResponse(core, wire, { body, arrived });
  };
}
