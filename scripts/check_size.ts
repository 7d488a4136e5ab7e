/**
 * The binary-size budget: bundles main.ts (what `deno task compile` embeds
 * into a release binary: every imported module, npm ones inlined, nothing
 * else) and fails when the bundle is larger than {@link BUDGET_BYTES}. The
 * binary is the Deno runtime plus this. Part of `deno task ok`.
 *
 * Usage: deno run --allow-run --allow-read --allow-write scripts/check_size.ts
 *
 * @module
 */

/** The most the bundle may weigh: 20.5 MB when set (Deno 2.9.6), with room for ~12% growth. */
export const BUDGET_BYTES = 25_000_000;

const ROOT = new URL("../", import.meta.url).pathname;

/** Bundles main.ts into a temporary file and returns its size in bytes. */
export async function bundleSize(): Promise<number> {
  const dir = Deno.makeTempDirSync({ prefix: "servebench-size-" });
  try {
    const out = `${dir}/servebench.js`;
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "deno", "-o", out, "main.ts"],
      cwd: ROOT,
      stderr: "inherit",
    }).output();
    if (!built.success) throw new Error(`deno bundle failed (exit ${built.code})`);
    return Deno.statSync(out).size;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const size = await bundleSize();
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
  if (size > BUDGET_BYTES) {
    console.error(
      `Bundle ${mb(size)} is over its budget of ${
        mb(BUDGET_BYTES)
      } (scripts/check_size.ts): a new import, or one that grew? Raise the budget only on purpose, and update docs/distributed.md`,
    );
    Deno.exit(1);
  }
  console.log(`Bundle ${mb(size)} of a ${mb(BUDGET_BYTES)} budget`);
}
