import { hfHubCacheDirs, isHfModelId, resolveHfTokenizer } from "../../src/tokenizer/hf_cache.ts";
import { UsageError } from "../../src/errors.ts";
import { assert, assertEquals, withTempDir } from "../helpers.ts";

const HASH = "7ae557604adf67be50417f59c2c2f167def9a775";
const ID = "Qwen/Qwen2.5-0.5B-Instruct";

/** Lays out a model in a hub cache as huggingface_hub does (refs/<rev> → snapshots/<hash>). */
function fakeHubModel(cache: string, id: string, opts: { ref?: string; tokenizer?: boolean } = {}) {
  const repo = `${cache}/models--${id.replace("/", "--")}`;
  const snap = `${repo}/snapshots/${HASH}`;
  Deno.mkdirSync(snap, { recursive: true });
  Deno.mkdirSync(`${repo}/blobs`, { recursive: true });
  if (opts.ref !== undefined) {
    Deno.mkdirSync(`${repo}/refs`, { recursive: true });
    Deno.writeTextFileSync(`${repo}/refs/${opts.ref}`, HASH);
  }
  if (opts.tokenizer !== false) {
    // Snapshots hold symlinks into blobs/, as the real cache does.
    Deno.writeTextFileSync(`${repo}/blobs/abc`, "{}");
    Deno.symlinkSync(`../../blobs/abc`, `${snap}/tokenizer.json`);
  }
  return snap;
}

function envFrom(vars: Record<string, string>) {
  return (name: string) => vars[name];
}

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert(error instanceof UsageError, `expected a UsageError, got ${error}`);
    return error.message;
  }
  throw new Error("expected a UsageError");
}

Deno.test("isHfModelId() tells repo ids from paths", () => {
  assert(isHfModelId(ID) && isHfModelId("meta-llama/Llama-3.1-8B") && isHfModelId("a/b_c"));
  for (const p of ["./Qwen/x", "/abs/path", "qwen3", "a/b/c", "../a", "a/..", "org/"]) {
    assert(!isHfModelId(p), p);
  }
});

Deno.test("hfHubCacheDirs() follows HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME and HOME in order", () => {
  assertEquals(
    hfHubCacheDirs({
      env: envFrom({ HF_HUB_CACHE: "/a/", HF_HOME: "/b", XDG_CACHE_HOME: "/c", HOME: "/h" }),
    }),
    ["/a", "/b/hub", "/c/huggingface/hub"],
  );
  assertEquals(hfHubCacheDirs({ env: envFrom({ HOME: "/h" }) }), ["/h/.cache/huggingface/hub"]);
});

Deno.test("resolveHfTokenizer() finds refs/main → snapshots/<hash> under HF_HOME/hub", async () => {
  await withTempDir((dir) => {
    const snap = fakeHubModel(`${dir}/hf/hub`, ID, { ref: "main" });
    const env = envFrom({ HF_HOME: `${dir}/hf`, HOME: `${dir}/home` });
    assertEquals(resolveHfTokenizer(ID, { env }), snap);
    return Promise.resolve();
  });
});

Deno.test("resolveHfTokenizer() prefers HF_HUB_CACHE and honours a revision", async () => {
  await withTempDir((dir) => {
    fakeHubModel(`${dir}/home/.cache/huggingface/hub`, ID, { ref: "main" });
    const snap = fakeHubModel(`${dir}/hub`, ID, { ref: "v1" });
    const env = envFrom({ HF_HUB_CACHE: `${dir}/hub`, HOME: `${dir}/home` });
    assertEquals(resolveHfTokenizer(ID, { env, revision: "v1" }), snap);
    // main is not in HF_HUB_CACHE, so the home cache's copy is found.
    assert(resolveHfTokenizer(ID, { env }).startsWith(`${dir}/home/`));
    return Promise.resolve();
  });
});

Deno.test("resolveHfTokenizer() takes the only snapshot when no ref names it", async () => {
  await withTempDir((dir) => {
    const snap = fakeHubModel(`${dir}/home/.cache/huggingface/hub`, ID);
    assertEquals(resolveHfTokenizer(ID, { env: envFrom({ HOME: `${dir}/home` }) }), snap);
    return Promise.resolve();
  });
});

Deno.test("resolveHfTokenizer() finds ModelScope's cache layout too", async () => {
  await withTempDir((dir) => {
    const folder = `${dir}/ms/models/Qwen/Qwen2___5-0___5B-Instruct`;
    Deno.mkdirSync(folder, { recursive: true });
    Deno.writeTextFileSync(`${folder}/tokenizer.json`, "{}");
    const env = envFrom({ MODELSCOPE_CACHE: `${dir}/ms`, HOME: `${dir}/home` });
    assertEquals(resolveHfTokenizer(ID, { env }), folder);
    return Promise.resolve();
  });
});

Deno.test("resolveHfTokenizer() names every place it looked and how to fill the cache", async () => {
  await withTempDir((dir) => {
    // A snapshot without tokenizer.json does not count.
    fakeHubModel(`${dir}/hub`, ID, { ref: "main", tokenizer: false });
    const env = envFrom({ HF_HUB_CACHE: `${dir}/hub`, HF_HOME: `${dir}/hf`, HOME: `${dir}/home` });
    const message = usage(() => resolveHfTokenizer(ID, { env }));
    for (
      const place of [
        `${dir}/hub/models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/${HASH}/tokenizer.json`,
        `${dir}/hf/hub/models--Qwen--Qwen2.5-0.5B-Instruct`,
        `${dir}/home/.cache/huggingface/hub/models--Qwen--Qwen2.5-0.5B-Instruct`,
        `${dir}/home/.cache/modelscope/hub/models/Qwen/Qwen2.5-0.5B-Instruct/tokenizer.json`,
      ]
    ) assert(message.includes(place), `names ${place}: ${message}`);
    assert(message.includes(`huggingface-cli download ${ID}`), message);
    assert(message.includes("nothing is downloaded"), message);
    assert(!message.includes("\n"), "one line");
    assert(/expected a folder/.test(usage(() => resolveHfTokenizer("not-an-id", { env }))));
    return Promise.resolve();
  });
});
