/**
 * `servebench sim`: runs the built-in simulator (every protocol's routes, a
 * server's native ones with `--server`) until interrupted.
 *
 * @module
 */

import {
  FAULT_KINDS,
  type FaultKind,
  type FaultPlan,
  type SimOptions,
  type SimServer,
  startSimulator,
} from "../sim/server.ts";
import { type FlagSpec, parseFlags, renderFlagHelp } from "./args.ts";
import { UsageError } from "../errors.ts";
import { SIM_SERVERS } from "../sim_options.ts";

/** Every flag of `servebench sim`. */
export const SIM_FLAGS = [
  {
    name: "host",
    type: "string",
    value: "ADDR",
    help: "Interface to listen on.",
    defaultText: "127.0.0.1",
  },
  {
    name: "port",
    type: "integer",
    min: 0,
    help: "Port (0 picks a free one).",
    defaultText: "8000",
  },
  {
    name: "model",
    type: "string",
    value: "NAME",
    help: "Served model id.",
    defaultText: "sim-model",
  },
  {
    name: "ttft-ms",
    type: "number",
    min: 0,
    help: "Time to first token after admission.",
    defaultText: "50",
  },
  {
    name: "prefill-ms-per-token",
    type: "number",
    min: 0,
    help: "Extra TTFT per prompt token.",
    defaultText: "0",
  },
  { name: "itl-ms", type: "number", min: 0, help: "Gap between output tokens.", defaultText: "10" },
  {
    name: "jitter-ms",
    type: "number",
    min: 0,
    help: "Uniform ± jitter on TTFT and each gap.",
    defaultText: "0",
  },
  {
    name: "output-tokens",
    type: "integer",
    min: 0,
    help:
      "Output length when a request does not force one (max_tokens caps it; ignore_eos and min_tokens force it).",
    defaultText: "128",
  },
  {
    name: "tokens-per-chunk",
    type: "integer",
    min: 1,
    help: "Tokens per streamed event.",
    defaultText: "1",
  },
  {
    name: "reasoning-tokens",
    type: "integer",
    min: 0,
    help: "Leading output tokens streamed as reasoning_content.",
    defaultText: "0",
  },
  {
    name: "max-batch",
    type: "integer",
    min: 1,
    help: "Requests decoding at once; the rest queue.",
    defaultText: "unlimited",
  },
  {
    name: "kv-cache-tokens",
    type: "integer",
    min: 1,
    help:
      "KV-cache size in tokens: GET /metrics reports the decoding requests' prompt and generated tokens over it as vllm:kv_cache_usage_perc.",
    defaultText: "65536",
  },
  { name: "seed", type: "integer", help: "Seed of jitter and text.", defaultText: "0" },
  {
    name: "server",
    type: "string",
    value: "KIND",
    choices: SIM_SERVERS,
    help: "The server to play: its native routes and discovery page beside the OpenAI ones.",
    defaultText: "vllm",
  },
  {
    name: "faults",
    type: "string",
    value: "KIND=P,…",
    help: `Inject faults with per-request probabilities, e.g. 'http_429=0.05,reset=0.01'. Kinds: ${
      FAULT_KINDS.join(", ")
    }.`,
  },
  {
    name: "fault-script",
    type: "string",
    value: "N=KIND,…",
    help:
      "Inject faults into given requests (numbered from 0 in arrival order), e.g. '0=http_429,5=reset'.",
  },
  { name: "fault-seed", type: "integer", help: "Seed of the fault draws.", defaultText: "0" },
  {
    name: "discovery-delay-ms",
    type: "number",
    min: 0,
    help:
      "Slow discovery: answer GET /v1/models (and /api/tags, /info, /props, …) only after this many ms.",
    defaultText: "0",
  },
  {
    name: "tls-cert",
    type: "string",
    value: "FILE",
    help: "Serve HTTPS with this PEM certificate chain (with --tls-key).",
  },
  { name: "tls-key", type: "string", value: "FILE", help: "The PEM private key of --tls-cert." },
  {
    name: "usage-scale",
    type: "number",
    min: 0,
    help: "Multiply reported completion_tokens (to test usage cross-checks).",
    defaultText: "1",
  },
  {
    name: "prefix-cache-blocks",
    type: "integer",
    min: 0,
    help:
      "Prefix cache capacity in blocks (LRU); cached prompt tokens skip prefill and are reported as usage.prompt_tokens_details.cached_tokens.",
    defaultText: "0 (no cache)",
  },
  {
    name: "prefix-block-tokens",
    type: "integer",
    min: 1,
    help: "Tokens per prefix-cache block.",
    defaultText: "16",
  },
] as const satisfies readonly FlagSpec[];

/** `servebench sim --help`. */
export const SIM_HELP = `Usage: servebench sim [flags]

Runs a simulated inference server that streams tokens on an exact schedule, in
each protocol's own wire format: POST /v1/chat/completions, /v1/completions,
/v1/responses, /v1/embeddings (vLLM's), /v1/messages (Anthropic's), /api/chat,
/api/generate (Ollama's), GET /v1/models, /health and /sim/stats. --server adds
a server's native routes: tgi (/generate_stream, /generate, GET /info),
llamacpp (/completion, GET /props), sglang (/generate, GET /get_model_info),
ollama (GET /api/tags, /api/version). Each event carries its send time in an
extra "sim_sent_ms" field.

Flags:
${renderFlagHelp(SIM_FLAGS)}
`;

/** Parses `sim` flags into simulator options. */
export function simOptionsFromFlags(argv: readonly string[]): SimOptions | undefined {
  const { values, positionals, help } = parseFlags(argv, SIM_FLAGS, { command: "servebench sim" });
  if (help) return undefined;
  if (positionals.length) {
    throw new UsageError(
      `Unexpected argument "${positionals[0]}" for "servebench sim" (see servebench sim --help)`,
    );
  }
  const o: SimOptions = { port: values.port ?? 8000 };
  const set = <K extends keyof SimOptions>(key: K, value: SimOptions[K] | undefined) => {
    if (value !== undefined) o[key] = value;
  };
  set("hostname", values.host);
  set("model", values.model);
  set("ttftMs", values["ttft-ms"]);
  set("prefillMsPerToken", values["prefill-ms-per-token"]);
  set("itlMs", values["itl-ms"]);
  set("jitterMs", values["jitter-ms"]);
  set("outputTokens", values["output-tokens"]);
  set("tokensPerChunk", values["tokens-per-chunk"]);
  set("reasoningTokens", values["reasoning-tokens"]);
  set("maxBatch", values["max-batch"]);
  set("kvCacheTokens", values["kv-cache-tokens"]);
  set("seed", values.seed);
  set("usageScale", values["usage-scale"]);
  set("prefixCacheBlocks", values["prefix-cache-blocks"]);
  set("prefixBlockTokens", values["prefix-block-tokens"]);
  const problems: string[] = [];
  set("server", values.server);
  const faults: FaultPlan = {};
  const pairs = (text: string) =>
    text.split(",").map((p) => p.trim()).filter((p) => p).map((p) => p.split("=", 2));
  const isKind = (k: string | undefined): k is FaultKind =>
    (FAULT_KINDS as readonly string[]).includes(k ?? "");
  if (values.faults !== undefined) {
    faults.rates = {};
    for (const [kind, p] of pairs(values.faults)) {
      const n = Number(p);
      if (!isKind(kind)) {
        problems.push(
          `--faults: unknown fault "${kind}": expected one of ${FAULT_KINDS.join(", ")}`,
        );
      } else if (!(n >= 0 && n <= 1)) {
        problems.push(`--faults: ${kind}: expected a probability 0..1, got "${p}"`);
      } else faults.rates[kind] = n;
    }
  }
  if (values["fault-script"] !== undefined) {
    faults.script = {};
    for (const [n, kind] of pairs(values["fault-script"])) {
      if (!/^\d+$/.test(n ?? "")) {
        problems.push(`--fault-script: expected N=KIND with N a request number, got "${n}"`);
      } else if (!isKind(kind)) {
        problems.push(
          `--fault-script: unknown fault "${kind}": expected one of ${FAULT_KINDS.join(", ")}`,
        );
      } else faults.script[Number(n)] = kind;
    }
  }
  if (values["fault-seed"] !== undefined) faults.seed = values["fault-seed"];
  if (values["discovery-delay-ms"] !== undefined) {
    faults.discoveryDelayMs = values["discovery-delay-ms"];
  }
  const certPath = values["tls-cert"];
  const keyPath = values["tls-key"];
  if ((certPath === undefined) !== (keyPath === undefined)) {
    problems.push("--tls-cert and --tls-key: give both, or neither");
  } else if (certPath !== undefined && keyPath !== undefined) {
    const read = (flag: string, path: string) => {
      try {
        return Deno.readTextFileSync(path);
      } catch (error) {
        problems.push(`--${flag}: cannot read "${path}": ${(error as Error).message}`);
        return "";
      }
    };
    o.tls = { cert: read("tls-cert", certPath), key: read("tls-key", keyPath) };
  }
  if (problems.length) throw new UsageError(problems);
  if (faults.rates || faults.script || faults.discoveryDelayMs !== undefined) o.faults = faults;
  return o;
}

/** Starts the simulator for `servebench sim`; returns undefined when only help was shown. */
export async function simCommand(
  argv: readonly string[],
  print: (t: string) => void,
): Promise<SimServer | undefined> {
  const options = simOptionsFromFlags(argv);
  if (!options) {
    print(SIM_HELP);
    return undefined;
  }
  const sim = await startSimulator(options);
  const o = sim.options;
  print(
    `servebench sim listening on ${sim.url} — model "${o.model}", TTFT ${o.ttftMs} ms, ITL ${o.itlMs} ms, max batch ${o.maxBatch}. Ctrl-C stops it.`,
  );
  return sim;
}
