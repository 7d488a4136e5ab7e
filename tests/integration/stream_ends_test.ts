/**
 * How streams end (#15 items 1 and 2), against the simulator's fault modes
 * written as real servers write them: EOF after a finish without `[DONE]`
 * (TGI ≤ 2.1), EOF before any finish, `[DONE]` with no output, old
 * llama.cpp's `error:` field line, and a JSON body to a streaming request.
 */

import { sendRequest } from "../../src/protocol/client.ts";
import { adapterFor, type ApiKind } from "../../src/protocol/mod.ts";
import { createTransport } from "../../src/protocol/transport.ts";
import { endpointUrl } from "../../src/bench/target.ts";
import type { FaultKind } from "../../src/fault_kinds.ts";
import type { RequestRecord } from "../../src/record/record.ts";
import { type SimServerKind, startSimulator } from "../../src/sim/server.ts";
import { assert, assertEquals } from "../helpers.ts";

/** Sends one request per fault (in script order) through the real client; returns the records. */
async function sendEach(
  api: ApiKind,
  faults: readonly (FaultKind | undefined)[],
  server: SimServerKind = "vllm",
): Promise<RequestRecord[]> {
  const script: Record<number, FaultKind> = {};
  faults.forEach((f, i) => {
    if (f) script[i] = f;
  });
  const sim = await startSimulator({
    server,
    ttftMs: 2,
    itlMs: 1,
    outputTokens: 5,
    faults: { script },
  });
  const transport = createTransport("fetch");
  try {
    const adapter = adapterFor(api);
    const body = JSON.stringify(
      adapter.buildBody({ prompt: "a b c", maxTokens: 5 }, {
        model: "sim-model",
        stream: true,
        maxTokens: 5,
        extraBody: {},
      }),
    );
    const out: RequestRecord[] = [];
    for (let i = 0; i < faults.length; i++) {
      out.push(
        await sendRequest(
          {
            url: endpointUrl(sim.url, adapter.path),
            headers: { "content-type": "application/json" },
            adapter,
            stream: true,
            transport,
            keepText: true,
          },
          body,
          { index: i, scheduledMs: 0 },
        ),
      );
    }
    return out;
  } finally {
    transport.close();
    await sim.shutdown();
  }
}

for (const api of ["openai-chat", "openai-completions"] as const) {
  Deno.test(`${api}: EOF after a finish is a success, EOF before one truncated, [DONE] alone empty_stream, an error: line stream_error`, async () => {
    const [noDone, cut, empty, errorLine, clean] = await sendEach(api, [
      "no_done",
      "cut_stream",
      "empty_stream",
      "error_line",
      undefined,
    ]);
    assertEquals(noDone!.error, undefined, "EOF right after the finish chunk (TGI ≤ 2.1)");
    assertEquals(noDone!.chunkMs.length, 5, "every token of it counted");
    assertEquals(noDone!.finishReason, "length");
    assertEquals(cut!.error?.category, "truncated", "EOF before any finish reason");
    assertEquals(cut!.error?.message, "stream ended without [DONE]");
    assertEquals(cut!.chunkMs.length, 2, "partial timings kept");
    assertEquals(empty!.error?.category, "empty_stream", "[DONE] after no output");
    assertEquals(empty!.chunkMs.length, 0);
    assertEquals(errorLine!.error, {
      category: "stream_error",
      message: "simulated engine failure",
      status: 500,
    }, "old llama.cpp's error: field line, with the server's message and code");
    assertEquals(clean!.error, undefined);
  });
}

Deno.test("llamacpp-completion: old llama.cpp's error: field line then EOF is stream_error with its message", async () => {
  const [errorLine, clean] = await sendEach(
    "llamacpp-completion",
    ["error_line", undefined],
    "llamacpp",
  );
  assertEquals(errorLine!.error?.category, "stream_error");
  assertEquals(errorLine!.error?.message, "simulated engine failure");
  assertEquals(clean!.error, undefined);
});
