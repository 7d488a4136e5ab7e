import { parse } from "yaml";
import { RUN_FLAGS } from "../../src/cli/run.ts";
import { MERGE_FLAGS } from "../../src/cli/merge.ts";
import { parseFlags } from "../../src/cli/args.ts";
import { TARGETS } from "../../scripts/build.ts";
import { assert, assertEquals } from "../helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

// deno-lint-ignore no-explicit-any
type Doc = any;

function yamlOf(path: string): Doc {
  const doc = parse(Deno.readTextFileSync(`${ROOT}${path}`));
  assert(doc && typeof doc === "object", `${path} is a YAML mapping`);
  return doc;
}

/** Every `run:` line of a workflow job, joined. */
function runs(job: Doc): string {
  return (job.steps as Doc[]).map((s) => s.run ?? "").join("\n");
}

Deno.test("release.yml: a tag builds every target from the bundle, checks the size, publishes binaries with SHA256SUMS", () => {
  const wf = yamlOf(".github/workflows/release.yml");
  assertEquals(wf.on.push.tags, ["v*"]);
  assertEquals(wf.permissions.contents, "write");
  const build = wf.jobs.build;
  assertEquals(build.strategy.matrix.target, TARGETS);
  const steps = runs(build);
  assert(steps.includes("deno task size"), "the size budget is checked");
  assert(
    steps.includes("scripts/build.ts compile --target ${{ matrix.target }}"),
    "compiled by scripts/build.ts (from the bundle, stamped)",
  );
  assert(steps.includes("dist/servebench-${{ matrix.target }}"), "assets named as install.sh asks");
  const publish = wf.jobs.publish;
  assertEquals(publish.needs, "build");
  assert(runs(publish).includes("sha256sum servebench-* > SHA256SUMS"), "checksums");
  assert(runs(publish).includes("gh release create"), "published");
  assertEquals(wf.jobs.image.needs, "build");
  assert(Deno.readTextFileSync(`${ROOT}install.sh`).includes('asset="servebench-$target"'));
});

Deno.test("ci.yml runs deno task ok", () => {
  const wf = yamlOf(".github/workflows/ci.yml");
  assert(runs(wf.jobs.ok).includes("deno task ok"));
});

Deno.test("deploy/k8s: an Indexed Job of N shards with one start instant, a merge Job and the volume they share", () => {
  const job = yamlOf("deploy/k8s/shards-job.yaml");
  assertEquals([job.apiVersion, job.kind], ["batch/v1", "Job"]);
  assertEquals(job.spec.completionMode, "Indexed");
  const pod = job.spec.template.spec;
  assertEquals(pod.restartPolicy, "Never");
  assertEquals(pod.securityContext.runAsNonRoot, true);
  const c = pod.containers[0];
  const env = Object.fromEntries((c.env as Doc[]).map((e) => [e.name, e]));
  assert(env.START_AT?.value, "START_AT is set");
  assertEquals(
    env.SHARD_INDEX.valueFrom.fieldRef.fieldPath,
    "metadata.annotations['batch.kubernetes.io/job-completion-index']",
  );
  const args = c.args as string[];
  assertEquals(args[0], "run");
  const { values } = parseFlags(args.slice(1), RUN_FLAGS, { command: "servebench run" });
  assertEquals(values.shards, job.spec.completions, "--shards = completions");
  assertEquals(job.spec.parallelism, job.spec.completions, "every shard runs at once");
  assertEquals(values["start-at"], "$(START_AT)");
  assertEquals(values["work-dir"], "/results/shard-$(SHARD_INDEX)");
  const claim = (spec: Doc, mount: string) => {
    const m = (spec.containers[0].volumeMounts as Doc[]).find((v) => v.mountPath === mount);
    return (spec.volumes as Doc[]).find((v) => v.name === m.name).persistentVolumeClaim.claimName;
  };
  const merge = yamlOf("deploy/k8s/merge-job.yaml");
  assertEquals([merge.apiVersion, merge.kind], ["batch/v1", "Job"]);
  const margs = merge.spec.template.spec.containers[0].args as string[];
  assertEquals(margs[0], "merge");
  const parsed = parseFlags(margs.slice(1).map((a) => (a === "-o" ? "--out" : a)), MERGE_FLAGS, {
    command: "servebench merge",
  });
  assertEquals(parsed.positionals, ["/results"]);
  assert(parsed.values.out?.startsWith("/results/"), "the merged run is written to the volume");
  const pvc = yamlOf("deploy/k8s/results-pvc.yaml");
  assertEquals(pvc.kind, "PersistentVolumeClaim");
  assertEquals(pvc.spec.accessModes, ["ReadWriteMany"]);
  assertEquals(claim(pod, "/results"), pvc.metadata.name);
  assertEquals(claim(merge.spec.template.spec, "/results"), pvc.metadata.name);
});

Deno.test("deploy/github/sharded-benchmark.yml: a matrix of SHARDS jobs from one start instant, then a merge", () => {
  const wf = yamlOf("deploy/github/sharded-benchmark.yml");
  const shard = wf.jobs.shard;
  assertEquals(shard.needs, "start");
  assertEquals(shard.strategy.matrix.index.length, wf.env.SHARDS);
  assertEquals(
    shard.strategy.matrix.index,
    Array.from({ length: wf.env.SHARDS }, (_, i) => i),
  );
  const line = runs(shard);
  assert(line.includes("--shard ${{ matrix.index }}/${{ env.SHARDS }}"), line);
  assert(line.includes("--start-at ${{ needs.start.outputs.at }}"), line);
  assert(wf.jobs.start.outputs.at, "the start job gives the instant");
  assertEquals(wf.jobs.merge.needs, "shard");
  assert(runs(wf.jobs.merge).includes("servebench merge shards -o merged"));
});

Deno.test("Dockerfile: a distroless final stage, run as a non-root user", () => {
  const text = Deno.readTextFileSync(`${ROOT}Dockerfile`);
  const stages = text.split(/^FROM /m).slice(1);
  const last = stages[stages.length - 1]!;
  assert(last.startsWith("gcr.io/distroless/cc-debian12:nonroot AS runtime"), last);
  assert(/^USER 65532:65532$/m.test(last), "non-root");
  assert(/^ENTRYPOINT \["\/usr\/local\/bin\/servebench"\]$/m.test(last));
  for (const stage of stages) assert(!/^USER (root|0)\b/m.test(stage), "never root");
});
