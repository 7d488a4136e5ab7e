/**
 * Task files in the GSM8K style: JSONL with a question and an answer per line
 * (`question`/`answer`; AIME-style `problem`/`solution` work too). Each
 * request is a chat: k worked examples drawn from the training file (the same
 * file when none is given, never the question itself), then the question.
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS } from "./_config.ts";
import type { DatasetKind } from "./kind.ts";
import { UsageError } from "../errors.ts";
import type { ChatMessage, RequestSpec } from "./spec.ts";
import { Random } from "../random.ts";
import { badLine, emptyFile, jsonLine, readLines } from "./_lines.ts";

/** Settings of a task file. */
export interface TaskFileOptions {
  path: string;
  /** Where the k-shot examples come from; default `path`. */
  trainPath?: string;
  /** Worked examples before each question. */
  shots: number;
  /** Shown when the file is missing: where to put it. */
  hint?: string;
}

const INSTRUCTION =
  "Work through the problem step by step, then give the final answer on its own line after '####'.";

interface Example {
  question: string;
  answer: string;
  line: number;
}

async function* examples(path: string, hint?: string): AsyncGenerator<Example> {
  for await (const { line, n } of readLines(path, hint)) {
    if (!line.trim()) continue;
    const o = jsonLine(path, line, n);
    const question = o.question ?? o.problem;
    const answer = o.answer ?? o.solution;
    if (typeof question !== "string") {
      throw badLine(path, n, 'has no "question" (or "problem") string');
    }
    if (typeof answer !== "string" && typeof answer !== "number") {
      throw badLine(path, n, 'has no "answer" (or "solution")');
    }
    yield { question, answer: String(answer), line: n };
  }
}

/** Yields chat specs with k-shot examples. */
export async function* taskFileSpecs(
  options: TaskFileOptions,
  seed: number,
): AsyncGenerator<RequestSpec> {
  const shots: Example[] = [];
  if (options.shots > 0) {
    // Keep one spare so a question can skip itself.
    for await (const e of examples(options.trainPath ?? options.path, options.hint)) {
      shots.push(e);
      if (shots.length >= Math.max(64, options.shots + 1)) break;
    }
    if (shots.length < options.shots + (options.trainPath ? 0 : 1)) {
      throw new UsageError(
        `Cannot read dataset "${
          options.trainPath ?? options.path
        }": ${shots.length} examples, ${options.shots} shots asked`,
      );
    }
  }
  const random = new Random(seed);
  let any = false;
  for await (const q of examples(options.path, options.hint)) {
    any = true;
    const pool = shots.filter((s) => s.question !== q.question);
    const picked: Example[] = [];
    const taken = new Set<number>();
    while (picked.length < options.shots && taken.size < pool.length) {
      const i = random.int(0, pool.length - 1);
      if (taken.has(i)) continue;
      taken.add(i);
      picked.push(pool[i]!);
    }
    const messages: ChatMessage[] = [{ role: "system", content: INSTRUCTION }];
    for (const s of picked) {
      messages.push({ role: "user", content: s.question }, {
        role: "assistant",
        content: s.answer,
      });
    }
    messages.push({ role: "user", content: q.question });
    yield { messages };
  }
  if (!any) throw emptyFile(options.path);
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("gsm8k"),
  path: z.string().min(1),
  train_path: z.string().min(1).optional(),
  shots: z.number().int().min(0).default(4),
});

/** The GSM8K-style task-file source. */
export const gsm8kKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "gsm8k"; taskFile: TaskFileOptions }
> = {
  type: "gsm8k",
  description: "question/answer JSONL (GSM8K, MATH) as k-shot chat prompts",
  schema,
  readsFile: true,
  toSource: (cfg, o) => ({
    type: "gsm8k",
    taskFile: {
      path: o.path ?? cfg.path,
      ...(cfg.train_path !== undefined ? { trainPath: cfg.train_path } : {}),
      shots: cfg.shots,
      hint:
        "download the data and put it there, relative to the working folder, or give --dataset-path",
    },
  }),
  specs: (source, ctx) => taskFileSpecs(source.taskFile, ctx.seed),
};
