/**
 * Generic timestamped traces: JSONL (`.jsonl`) or CSV (any other extension)
 * with a timestamp column (`timestamp_field`, in `timestamp_unit` s or ms)
 * and either a prompt (`prompt_field`, text or token ids) or chat messages
 * (`messages_field`, JSON in CSV) with an optional `max_tokens_field`, or
 * input and output lengths (`input_length_field`, `output_length_field`),
 * from which prompts of exactly that many tokens are built. Each record
 * arrives at its offset from the first; timestamps must not decrease.
 * Streamed record by record.
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS, RECORD_FIELDS } from "./_config.ts";
import { badLine, emptyFile, jsonLine, readLines } from "./_lines.ts";
import {
  ArrivalClock,
  countField,
  csvRecords,
  DATA_TYPE_FIELD,
  lengthSpec,
  lineRandom,
  numberField,
} from "./_trace.ts";
import type { DatasetKind } from "./kind.ts";
import type { PromptBuilder } from "./prompt_builder.ts";
import type { RequestSpec } from "./spec.ts";
import { type FieldNames, fieldNames, recordSpec } from "./jsonl.ts";

/** Settings of a generic trace. */
export interface TraceOptions {
  readonly path: string;
  readonly timestampField: string;
  readonly timestampUnit: "s" | "ms";
  readonly fields: FieldNames;
  readonly inputLengthField: string;
  readonly outputLengthField: string;
  readonly dataType: "string" | "tokenid";
}

/** The records of the file with their lines: JSONL objects, or CSV rows by header name. */
async function* records(
  options: TraceOptions,
): AsyncGenerator<{ record: Record<string, unknown>; line: number }> {
  const { path } = options;
  if (path.toLowerCase().endsWith(".jsonl")) {
    for await (const { line, n } of readLines(path)) {
      if (line.trim()) yield { record: jsonLine(path, line, n), line: n };
    }
    return;
  }
  for await (const { record, line } of csvRecords(path, [options.timestampField])) {
    const m = record[options.fields.messages];
    if (typeof m === "string" && m !== "") {
      try {
        yield { record: { ...record, [options.fields.messages]: JSON.parse(m) }, line };
      } catch {
        throw badLine(path, line, `has "${options.fields.messages}" that is not valid JSON`);
      }
      continue;
    }
    const r: Record<string, unknown> = { ...record };
    if (r[options.fields.prompt] === "") delete r[options.fields.prompt];
    yield { record: r, line };
  }
}

/** Yields the specs of a generic trace. */
export async function* traceSpecs(
  options: TraceOptions,
  context: { seed: number; builder: () => PromptBuilder },
): AsyncGenerator<RequestSpec> {
  const { path, fields } = options;
  const clock = new ArrivalClock(path);
  const scale = options.timestampUnit === "s" ? 1000 : 1;
  let builder: PromptBuilder | undefined;
  let any = false;
  for await (const { record, line } of records(options)) {
    const fail = (what: string) => badLine(path, line, what);
    const ts = numberField(record[options.timestampField], {
      name: options.timestampField,
      fail,
    });
    const arrivalOffsetMs = clock.offset(ts * scale, line);
    any = true;
    const hasText = record[fields.prompt] !== undefined || record[fields.messages] !== undefined;
    if (!hasText && record[options.inputLengthField] === undefined) {
      throw fail(
        `has no "${fields.prompt}", "${fields.messages}" or "${options.inputLengthField}" field`,
      );
    }
    if (hasText) {
      yield { ...recordSpec(record, fields, fail), arrivalOffsetMs };
      continue;
    }
    const input = countField(record[options.inputLengthField], {
      name: options.inputLengthField,
      min: 1,
      fail,
    });
    const output = countField(record[options.outputLengthField], {
      name: options.outputLengthField,
      min: 1,
      fail,
    });
    builder ??= context.builder();
    yield lengthSpec(builder, { input, output, arrivalOffsetMs }, {
      dataType: options.dataType,
      random: lineRandom(context.seed, line),
    });
  }
  if (!any) throw emptyFile(path);
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  ...RECORD_FIELDS,
  type: z.literal("trace"),
  path: z.string().min(1),
  timestamp_field: z.string().min(1).default("timestamp"),
  timestamp_unit: z.enum(["s", "ms"]).default("ms"),
  input_length_field: z.string().min(1).default("input_length"),
  output_length_field: z.string().min(1).default("output_length"),
  data_type: DATA_TYPE_FIELD,
});

/** The generic trace source. */
export const traceKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "trace"; trace: TraceOptions }
> = {
  type: "trace",
  description:
    "a timestamped JSONL or CSV trace: a timestamp column, and a prompt or messages, or input/output lengths",
  schema,
  readsFile: true,
  toSource: (cfg, o) => ({
    type: "trace",
    trace: {
      path: o.path ?? cfg.path,
      timestampField: cfg.timestamp_field,
      timestampUnit: cfg.timestamp_unit,
      fields: fieldNames(cfg),
      inputLengthField: cfg.input_length_field,
      outputLengthField: cfg.output_length_field,
      dataType: cfg.data_type,
    },
  }),
  needsTokenizer: () => true,
  specs: (source, ctx) => traceSpecs(source.trace, { seed: ctx.seed, builder: ctx.builder }),
};
