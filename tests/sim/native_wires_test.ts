import { sendRequest } from "../../src/protocol/client.ts";
import { adapterFor, type ApiKind } from "../../src/protocol/mod.ts";
import { createTransport } from "../../src/protocol/transport.ts";
import { endpointUrl } from "../../src/bench/target.ts";
import { type SimServerKind, startSimulator } from "../../src/sim/server.ts";
import { assertEquals } from "../helpers.ts";

const transport = createTransport("fetch");

Deno.test("the simulator's native wires end well, carry a mid-stream error frame, and drop their end", async () => {
  const cases: Array<[ApiKind, SimServerKind, boolean]> = [
    ["tgi-generate-stream", "tgi", false],
    ["llamacpp-completion", "llamacpp", true],
    ["sglang-generate", "sglang", true],
  ];
  for (const [api, server, endDroppable] of cases) {
    const sim = await startSimulator({
      server,
      ttftMs: 2,
      itlMs: 1,
      outputTokens: 6,
      faults: { script: { 1: "error_event", 2: "no_done", 3: "split_utf8" } },
    });
    try {
      const adapter = adapterFor(api);
      const body = JSON.stringify(
        adapter.buildBody({ prompt: "a b c" }, {
          model: "m",
          stream: true,
          maxTokens: 6,
          extraBody: {},
        }),
      );
      const send = (index: number) =>
        sendRequest(
          {
            url: endpointUrl(sim.url, adapter.path),
            headers: { "content-type": "application/json" },
            adapter,
            stream: true,
            transport,
            keepText: true,
          },
          body,
          { index, scheduledMs: 0 },
        );
      const ok = await send(0);
      assertEquals(ok.error, undefined, `${api}: a clean stream`);
      assertEquals(ok.usage, { promptTokens: 3, completionTokens: 6 }, `${api}: usage`);
      assertEquals(ok.chunkMs.length, 6);
      const failed = await send(1);
      assertEquals(failed.error?.category, "stream_error", `${api}: error frame`);
      const cut = await send(2);
      if (endDroppable) assertEquals(cut.error?.category, "truncated", `${api}: no end`);
      const utf8 = await send(3);
      assertEquals(utf8.error, undefined, `${api}: a character split across writes`);
      assertEquals(utf8.outputText?.includes(" caf\u00e9 \u20ac"), true, `${api}: split text`);
    } finally {
      await sim.shutdown();
    }
  }
});
