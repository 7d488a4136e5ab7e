import { SseDecoder } from "../../src/protocol/sse.ts";
import { assertEquals } from "../helpers.ts";

const enc = new TextEncoder();

function decode(chunks: Array<string | Uint8Array>): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const d = new SseDecoder((data, stamp) => out.push([data, stamp]));
  chunks.forEach((c, i) => d.push(typeof c === "string" ? enc.encode(c) : c, i + 1));
  d.end(99);
  return out;
}

Deno.test("SseDecoder joins an event split across reads and stamps it with the completing read", () => {
  assertEquals(decode(["da", 'ta: {"a"', ":1}\n", "\n"]), [['{"a":1}', 4]]);
});

Deno.test("SseDecoder yields several events from one read, all with that read's stamp", () => {
  assertEquals(decode(["data: 1\n\ndata: 2\n\ndata: [DONE]\n\n"]), [["1", 1], ["2", 1], [
    "[DONE]",
    1,
  ]]);
});

Deno.test("SseDecoder handles CRLF and bare CR line endings, including CRLF split across reads", () => {
  assertEquals(decode(["data: a\r\n\r\ndata: b\r", "\n\r\n", "data: c\r\r"]), [["a", 1], ["b", 2], [
    "c",
    3,
  ]]);
});

Deno.test("SseDecoder ignores comment and keep-alive lines", () => {
  assertEquals(decode([": ping\n\n", ":keep-alive\ndata: x\n\n"]), [["x", 2]]);
});

Deno.test("SseDecoder joins multi-line data with newlines", () => {
  assertEquals(decode(["data: line1\ndata: line2\n\n"]), [["line1\nline2", 1]]);
});

Deno.test("SseDecoder decodes a UTF-8 character split across reads", () => {
  const bytes = enc.encode('data: {"t":"é€"}\n\n');
  // Split inside the 3-byte "€".
  const cut = bytes.length - 5;
  assertEquals(decode([bytes.subarray(0, cut), bytes.subarray(cut)]), [['{"t":"é€"}', 2]]);
});

Deno.test("SseDecoder drops an event left without its blank line at end of stream", () => {
  assertEquals(decode(["data: 1\n\ndata: 2"]), [["1", 1]]);
});

Deno.test("SseDecoder passes each event's `event:` name, undefined when it has none", () => {
  const out: Array<[string, string | undefined]> = [];
  const d = new SseDecoder((data, _stamp, name) => out.push([data, name]));
  d.push(new TextEncoder().encode("event: message_start\ndata: a\n\ndata: b\n\n"), 1);
  d.end(2);
  assertEquals(out, [["a", "message_start"], ["b", undefined]]);
});
