/**
 * Plain text files, one prompt per line — EvalScope's `line_by_line` and
 * `custom` datasets (`evalscope/perf/plugin/datasets/line_by_line.py`,
 * `custom.py`: each line, stripped, is a prompt). Blank lines are skipped.
 * Streamed line by line.
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS } from "./_config.ts";
import type { DatasetKind } from "./kind.ts";
import type { RequestSpec } from "./spec.ts";
import { emptyFile, readLines } from "./_lines.ts";

/** Yields one spec per non-blank line of `path`. */
export async function* textLineSpecs(path: string): AsyncGenerator<RequestSpec> {
  let any = false;
  for await (const { line } of readLines(path)) {
    const prompt = line.trim();
    if (!prompt) continue;
    any = true;
    yield { prompt };
  }
  if (!any) throw emptyFile(path);
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("text_lines"),
  path: z.string().min(1),
});

/** The text-lines source. */
export const textLinesKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "text_lines"; path: string }
> = {
  type: "text_lines",
  description: "a text file, one prompt per line (EvalScope's line_by_line and custom)",
  schema,
  readsFile: true,
  extensions: ["txt"],
  fromPath: (path) => ({ type: "text_lines", path }),
  toSource: (cfg, o) => ({ type: "text_lines", path: o.path ?? cfg.path }),
  specs: (source) => textLineSpecs(source.path),
};
