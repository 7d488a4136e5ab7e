import { runCommand } from "../../src/cli/run.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { TRANSPORTS } from "../../src/protocol/transport.ts";
import { assert, assertEquals, assertRejects, quiet, runFlags, withTempDir } from "../helpers.ts";

/** Makes a private CA and a server certificate for 127.0.0.1 with openssl. */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const run = async (args: string[]) => {
    const out = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (out.code !== 0) {
      throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
    }
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=servebench test CA",
  ]);
  await run(["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost"]);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
  );
  await run([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
  ]);
  return {
    ca: `${dir}/ca.pem`,
    cert: await Deno.readTextFile(`${dir}/leaf.pem`),
    key: await Deno.readTextFile(`${dir}/leaf.key`),
  };
}

Deno.test("https works with --ca-cert for a private CA or with --insecure (warned), and fails clearly without either", async () => {
  await withTempDir(async (dir) => {
    const { ca, cert, key } = await makeCertificates(dir);
    const sim = await startSimulator({ ttftMs: 2, itlMs: 1, tls: { cert, key } });
    try {
      assert(sim.url.startsWith("https://127.0.0.1:"), sim.url);
      const args = [
        ...runFlags(sim.url, { concurrency: 2, prompts: 4, maxTokens: 4, workDir: `${dir}/out` }),
      ];
      const ok = await runCommand([...args, "--ca-cert", ca], {
        print: quiet,
        env: () => undefined,
      });
      assertEquals(ok!.tasks[0]!.report.json!.common.success_requests, 4);
      const viaNode = await runCommand([...args, "--ca-cert", ca, "--transport", "node"], {
        print: quiet,
        env: () => undefined,
      });
      assertEquals(viaNode!.tasks[0]!.report.json!.common.success_requests, 4);
      const viaRaw = await runCommand([...args, "--ca-cert", ca, "--transport", "raw"], {
        print: quiet,
        env: () => undefined,
      });
      assertEquals(viaRaw!.tasks[0]!.report.json!.common.success_requests, 4);
      for (const transport of TRANSPORTS) {
        await assertRejects(
          () =>
            runCommand([...args, "--transport", transport], { print: quiet, env: () => undefined }),
          /^Cannot reach "https:\/\/127\.0\.0\.1:\d+\/v1\/models": .*(?:invalid peer certificate: UnknownIssuer|unable to verify the first certificate) \(for a private CA, give its certificate with --ca-cert, or skip the check with --insecure\)$/,
        );
      }
      const out: string[] = [];
      const insecure = await runCommand([...args, "--insecure"], {
        print: (t) => out.push(t),
        env: () => undefined,
      });
      assertEquals(insecure!.tasks[0]!.report.json!.common.success_requests, 4);
      assert(
        out.some((l) =>
          /^warning: --insecure: https certificates of ".+" are not verified/.test(l)
        ),
        "--insecure warns",
      );
      await assertRejects(
        () =>
          runCommand([...args, "--insecure", "--transport", "fetch"], {
            print: quiet,
            env: () => undefined,
          }),
        /--insecure: cannot be used with --transport fetch/,
      );
      await assertRejects(
        () =>
          runCommand([...args, "--insecure", "--transport", "raw"], {
            print: quiet,
            env: () => undefined,
          }),
        /--insecure: cannot be used with --transport raw/,
      );
    } finally {
      await sim.shutdown();
    }
  });
});
