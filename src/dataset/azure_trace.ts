/**
 * Azure LLM inference traces (Azure/AzurePublicDataset
 * data/AzureLLMInferenceTrace_code.csv and _conv.csv): a CSV with the header
 * `TIMESTAMP,ContextTokens,GeneratedTokens`, the timestamp as
 * `2023-11-16 18:17:03.9799600` (UTC, up to 7 fractional digits). Each row is
 * a prompt of exactly `ContextTokens` tokens with `max_tokens`
 * `GeneratedTokens`, arriving at its offset from the first row. Streamed row
 * by row.
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
} from "./_trace.ts";
import type { DatasetKind } from "./kind.ts";
import type { PromptBuilder } from "./prompt_builder.ts";
import type { RequestSpec } from "./spec.ts";

const STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;

/** Milliseconds of an Azure trace timestamp (`2023-11-16 18:17:03.9799600`, UTC), or undefined. */
export function azureStampMs(text: string): number | undefined {
  const m = STAMP.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const whole = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!);
  if (Number.isNaN(whole)) return undefined;
  return whole + (frac ? Number(`0.${frac}`) * 1000 : 0);
}

/** Yields the specs of an Azure LLM inference trace. */
export async function* azureSpecs(
  options: { path: string; dataType: "string" | "tokenid" },
  context: { seed: number; builder: PromptBuilder },
): AsyncGenerator<RequestSpec> {
  const { path, dataType } = options;
  const clock = new ArrivalClock(path);
  let any = false;
  for await (
    const { record, line } of csvRecords(path, ["TIMESTAMP", "ContextTokens", "GeneratedTokens"])
  ) {
    const fail = (what: string) => badLine(path, line, what);
    const ms = azureStampMs(record.TIMESTAMP!);
    if (ms === undefined) {
      throw fail(
        `has "TIMESTAMP" ${
          JSON.stringify(record.TIMESTAMP)
        }, expected YYYY-MM-DD HH:MM:SS[.fraction]`,
      );
    }
    const input = countField(record.ContextTokens, { name: "ContextTokens", min: 1, fail });
    const output = countField(record.GeneratedTokens, { name: "GeneratedTokens", min: 1, fail });
    any = true;
    yield lengthSpec(context.builder, { input, output, arrivalOffsetMs: clock.offset(ms, line) }, {
      dataType,
      random: lineRandom(context.seed, line),
    });
  }
  if (!any) throw emptyFile(path);
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("azure_trace"),
  path: z.string().min(1),
  data_type: DATA_TYPE_FIELD,
});

/** The Azure LLM inference trace source. */
export const azureTraceKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "azure_trace"; path: string; dataType: "string" | "tokenid" }
> = {
  type: "azure_trace",
  description: "an Azure LLM inference trace (CSV: TIMESTAMP, ContextTokens, GeneratedTokens)",
  schema,
  readsFile: true,
  toSource: (cfg, o) => ({
    type: "azure_trace",
    path: o.path ?? cfg.path,
    dataType: cfg.data_type,
  }),
  needsTokenizer: () => true,
  specs: (source, ctx) => azureSpecs(source, { seed: ctx.seed, builder: ctx.builder() }),
};
