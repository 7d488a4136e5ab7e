/**
 * `servebench list`: every config that can be selected by name — user
 * configs from `--config-dir` first, then the built-ins and their AISBench
 * aliases — with where each comes from. Sends nothing.
 *
 * @module
 */

import { availableNames, findConfig } from "../config/registry.ts";
import type { ConfigKind } from "../config/schema.ts";
import { UsageError } from "../errors.ts";
import { renderTable } from "../report/table.ts";
import { type FlagSpec, parseFlags, renderFlagHelp } from "./args.ts";

/** Every flag of `servebench list`. */
export const LIST_FLAGS = [
  {
    name: "config-dir",
    type: "string",
    value: "DIR",
    help:
      "Also list the configs in DIR (DIR/models, DIR/datasets, DIR/summarizers, DIR), which win over built-ins.",
  },
] as const satisfies readonly FlagSpec[];

/** `servebench list --help`. */
export const LIST_HELP = `Usage: servebench list [--config-dir DIR]

Lists every model, dataset and summarizer config that --models, --datasets and
--summarizer accept by name, and where each comes from.

Flags:
${renderFlagHelp(LIST_FLAGS)}
`;

const KINDS: ReadonlyArray<[ConfigKind, string]> = [["models", "model"], ["datasets", "dataset"], [
  "summarizers",
  "summarizer",
]];

/** The table of every selectable config. */
export function listTable(configDir?: string): string {
  const rows: string[][] = [];
  for (const [kind, label] of KINDS) {
    for (const name of availableNames(kind, configDir)) {
      rows.push([label, name, findConfig(kind, name, configDir).source]);
    }
  }
  return renderTable(["Task Type", "Task Name", "Config Source"], rows);
}

/** Runs `servebench list`. */
export function listCommand(argv: readonly string[], print: (text: string) => void): void {
  const { values, positionals, help } = parseFlags(argv, LIST_FLAGS, {
    command: "servebench list",
  });
  if (help) return print(LIST_HELP);
  if (positionals.length) {
    throw new UsageError(
      `Unexpected argument "${positionals[0]}" for "servebench list" (see servebench list --help)`,
    );
  }
  print(listTable(values["config-dir"]));
}
