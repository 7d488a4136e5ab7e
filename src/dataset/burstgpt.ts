/**
 * BurstGPT traces (HPMLL/BurstGPT README.md, "Schema"; data/BurstGPT_*.csv):
 * a CSV with `Timestamp` (seconds from the trace's start), `Model` (`ChatGPT`,
 * `GPT-4`), `Request tokens`, `Response tokens`, `Total tokens` and `Log Type`
 * (`Conversation log`, `API log`). Each kept row is a prompt of exactly
 * `Request tokens` tokens with `max_tokens` `Response tokens`, arriving at its
 * offset from the first kept row. `model` and `log_type` keep only the rows
 * that match; rows with 0 request or response tokens (the failed requests
 * of BurstGPT_1/2.csv) are skipped. Streamed row by row.
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS } from "./_config.ts";
import { badLine, emptyFile } from "./_lines.ts";
import {
  ArrivalClock,
  countField,
  csvRecords,
  DATA_TYPE_FIELD,
  lengthSpec,
  lineRandom,
  numberField,
} from "./_trace.ts";
import { UsageError } from "../errors.ts";
import type { DatasetKind } from "./kind.ts";
import type { PromptBuilder } from "./prompt_builder.ts";
import type { RequestSpec } from "./spec.ts";

/** Settings of a BurstGPT trace. */
export interface BurstGptOptions {
  readonly path: string;
  /** Keep only rows of these models (`Model`); absent → every model. */
  readonly models?: readonly string[];
  /** Keep only rows of these log types (`Log Type`); absent → both. */
  readonly logTypes?: readonly string[];
  readonly dataType: "string" | "tokenid";
}

const COLUMNS = ["Timestamp", "Model", "Request tokens", "Response tokens", "Log Type"];

/** Yields the specs of a BurstGPT trace. */
export async function* burstGptSpecs(
  options: BurstGptOptions,
  context: { seed: number; builder: PromptBuilder },
): AsyncGenerator<RequestSpec> {
  const { path, dataType } = options;
  const clock = new ArrivalClock(path);
  let rows = 0;
  let kept = 0;
  for await (const { record, line } of csvRecords(path, COLUMNS)) {
    rows++;
    const fail = (what: string) => badLine(path, line, what);
    const seconds = numberField(record.Timestamp, { name: "Timestamp", fail });
    const input = countField(record["Request tokens"], { name: "Request tokens", min: 0, fail });
    const output = countField(record["Response tokens"], { name: "Response tokens", min: 0, fail });
    if (options.models && !options.models.includes(record.Model!)) continue;
    if (options.logTypes && !options.logTypes.includes(record["Log Type"]!)) continue;
    if (input === 0 || output === 0) continue;
    kept++;
    const arrivalOffsetMs = clock.offset(seconds * 1000, line);
    yield lengthSpec(context.builder, { input, output, arrivalOffsetMs }, {
      dataType,
      random: lineRandom(context.seed, line),
    });
  }
  if (!rows) throw emptyFile(path);
  if (!kept) {
    throw new UsageError(
      `Cannot read dataset "${path}": no row matches (model ${
        options.models?.join(", ") ?? "any"
      }, log type ${options.logTypes?.join(", ") ?? "any"}, request and response tokens > 0)`,
    );
  }
}

const names = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("burstgpt"),
  path: z.string().min(1),
  /** `Model` values to keep (`ChatGPT`, `GPT-4`). */
  model: names.optional(),
  /** `Log Type` values to keep (`Conversation log`, `API log`). */
  log_type: names.optional(),
  data_type: DATA_TYPE_FIELD,
});

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** The BurstGPT trace source. */
export const burstGptKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "burstgpt"; burstgpt: BurstGptOptions }
> = {
  type: "burstgpt",
  description:
    "a BurstGPT trace (CSV: Timestamp s, Model, Request tokens, Response tokens, Log Type), filtered by model and log type",
  schema,
  readsFile: true,
  toSource: (cfg, o) => ({
    type: "burstgpt",
    burstgpt: {
      path: o.path ?? cfg.path,
      ...(cfg.model !== undefined ? { models: list(cfg.model) } : {}),
      ...(cfg.log_type !== undefined ? { logTypes: list(cfg.log_type) } : {}),
      dataType: cfg.data_type,
    },
  }),
  needsTokenizer: () => true,
  specs: (source, ctx) =>
    burstGptSpecs(source.burstgpt, { seed: ctx.seed, builder: ctx.builder() }),
};
