/**
 * Fails when the local modules reachable from the given roots import each
 * other in a cycle. The graph comes from `deno info --json` (value and type
 * imports alike: a type import is an arrow too); modules under node_modules
 * and outside the project folder are left out. Each cycle is printed as the
 * chain of files that closes it.
 *
 * Usage: deno run --allow-run --allow-read scripts/check_cycles.ts [ROOT …]
 * (default roots: main.ts, mod.ts)
 *
 * @module
 */

/** A module graph: each local module's path and the local paths it imports. */
export type ModuleGraph = ReadonlyMap<string, readonly string[]>;

interface InfoDependency {
  code?: { specifier?: string };
  type?: { specifier?: string };
}

interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
}

/**
 * The local module graph of `roots` as `deno info --json` sees it, paths
 * relative to `dir`.
 */
export async function moduleGraph(roots: readonly string[], dir: string): Promise<ModuleGraph> {
  const base = new URL(`file://${dir.endsWith("/") ? dir : `${dir}/`}`).href;
  const local = (specifier: string | undefined): string | undefined =>
    specifier?.startsWith(base) && !specifier.includes("/node_modules/") &&
      /\.[cm]?[jt]sx?$/.test(specifier)
      ? specifier.slice(base.length)
      : undefined;
  const graph = new Map<string, string[]>();
  for (const root of roots) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", root],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`deno info ${root} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    for (const m of info.modules) {
      const from = local(m.specifier);
      if (from === undefined) continue;
      const targets = new Set(graph.get(from) ?? []);
      for (const d of m.dependencies ?? []) {
        for (const to of [local(d.code?.specifier), local(d.type?.specifier)]) {
          if (to !== undefined && to !== from) targets.add(to);
        }
      }
      graph.set(from, [...targets].sort());
    }
  }
  return graph;
}

/** One group of modules that import each other, and one closed chain through it. */
export interface Cycle {
  /** Every module of the group (a strongly connected component), sorted. */
  readonly members: readonly string[];
  /** A closed chain `a → b → … → a` through the group. */
  readonly chain: readonly string[];
}

/**
 * Every cycle group (Tarjan's strongly connected components of more than one
 * module), each with a closed chain found by walking the group.
 */
export function findCycles(graph: ModuleGraph): Cycle[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((component) => ({
    members: component.sort(),
    chain: chainOf(graph, new Set(component)),
  }));
}

/** A closed walk through a component, from its first module back to it (breadth-first). */
function chainOf(graph: ModuleGraph, members: ReadonlySet<string>): string[] {
  const start = [...members].sort()[0]!;
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const chain = [start];
        for (
          let at: string | undefined = v;
          at !== undefined && at !== start;
          at = parent.get(at)
        ) {
          chain.splice(1, 0, at);
        }
        return [...chain, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...members, start];
}

if (import.meta.main) {
  const roots = Deno.args.length ? Deno.args : ["main.ts", "mod.ts"];
  const cycles = findCycles(await moduleGraph(roots, Deno.cwd()));
  if (cycles.length) {
    console.error(`Import cycles among local modules (${cycles.length}):`);
    for (const { chain, members } of cycles) {
      const more = members.filter((m) => !chain.includes(m));
      console.error(`  ${chain.join(" → ")}${more.length ? ` (with ${more.join(", ")})` : ""}`);
    }
    Deno.exit(1);
  }
  console.log(`No import cycles among the local modules of ${roots.join(", ")}`);
}
