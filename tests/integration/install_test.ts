import { assert, assertEquals, withTempDir } from "../helpers.ts";
import { fileExists } from "../../src/fs.ts";

const INSTALL = new URL("../../install.sh", import.meta.url).pathname;

const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
];

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A release folder: a script per target that prints its target, and SHA256SUMS of them all. */
async function fakeRelease(dir: string): Promise<void> {
  const lines: string[] = [];
  for (
    const asset of [
      ...TARGETS.map((t) => `servebench-${t}`),
      "servebench-x86_64-pc-windows-msvc.exe",
    ]
  ) {
    const bytes = new TextEncoder().encode(`#!/bin/sh\necho ${asset}\n`);
    Deno.writeFileSync(`${dir}/${asset}`, bytes);
    lines.push(`${await sha256(bytes)}  ${asset}`);
  }
  Deno.writeTextFileSync(`${dir}/SHA256SUMS`, lines.join("\n") + "\n");
}

/** Runs install.sh into `into` for the given uname answers, downloading from `base`. */
async function install(
  base: string,
  into: string,
  uname: { os: string; arch: string },
): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command("sh", {
    args: [INSTALL, into],
    env: {
      SERVEBENCH_BASE_URL: base,
      SERVEBENCH_OS: uname.os,
      SERVEBENCH_ARCH: uname.arch,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: into,
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("install.sh picks the binary for the OS and CPU, verifies its SHA-256 from a local server and installs it; a bad checksum or an unknown CPU installs nothing", async () => {
  await withTempDir(async (dir) => {
    const release = `${dir}/release`;
    Deno.mkdirSync(release);
    await fakeRelease(release);
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
      const name = new URL(req.url).pathname.slice(1);
      try {
        return new Response(Deno.readFileSync(`${release}/${name}`));
      } catch {
        return new Response("not found", { status: 404 });
      }
    });
    const base = `http://127.0.0.1:${server.addr.port}`;
    try {
      const cases: Array<[string, string, string]> = [
        ["Linux", "x86_64", "servebench-x86_64-unknown-linux-gnu"],
        ["Linux", "aarch64", "servebench-aarch64-unknown-linux-gnu"],
        ["Darwin", "arm64", "servebench-aarch64-apple-darwin"],
        ["Darwin", "x86_64", "servebench-x86_64-apple-darwin"],
      ];
      for (const [os, arch, asset] of cases) {
        const into = `${dir}/bin-${os}-${arch}`;
        const r = await install(base, into, { os, arch });
        assertEquals(r.code, 0, r.out);
        const ran = await new Deno.Command(`${into}/servebench`, { stdout: "piped" }).output();
        assertEquals(new TextDecoder().decode(ran.stdout).trim(), asset, `${os} ${arch}`);
      }
      const win = await install(base, `${dir}/win`, { os: "MINGW64_NT-10.0", arch: "x86_64" });
      assertEquals(win.code, 0, win.out);
      assert(fileExists(`${dir}/win/servebench.exe`), "windows gets servebench.exe");

      const odd = await install(base, `${dir}/odd`, { os: "Linux", arch: "mips64" });
      assertEquals(odd.code, 1);
      assert(odd.out.includes("no servebench release for Linux on mips64"), odd.out);
      assert(!fileExists(`${dir}/odd/servebench`));

      // A binary that does not match its checksum (a broken mirror, a tampered file).
      Deno.writeTextFileSync(
        `${release}/servebench-x86_64-unknown-linux-gnu`,
        "#!/bin/sh\necho evil\n",
      );
      const bad = await install(base, `${dir}/bad`, { os: "Linux", arch: "x86_64" });
      assertEquals(bad.code, 1);
      assert(
        bad.out.includes("checksum mismatch for servebench-x86_64-unknown-linux-gnu"),
        bad.out,
      );
      assert(!fileExists(`${dir}/bad/servebench`), "nothing installed");

      // The same from a local folder (file://), and SHA256SUMS without the asset.
      Deno.writeTextFileSync(`${release}/SHA256SUMS`, "");
      const none = await install(`file://${release}`, `${dir}/none`, {
        os: "Darwin",
        arch: "arm64",
      });
      assertEquals(none.code, 1);
      assert(
        none.out.includes("SHA256SUMS lists no checksum for servebench-aarch64-apple-darwin"),
        none.out,
      );
    } finally {
      await server.shutdown();
    }
  });
});
