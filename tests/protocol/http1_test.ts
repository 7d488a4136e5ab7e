import {
  HttpParseError,
  requestBytes,
  requestHeadPrefix,
  type ResponseHandler,
  ResponseParser,
} from "../../src/protocol/http1.ts";
import { RawTransport } from "../../src/protocol/transport_raw.ts";
import { assert, assertEquals, assertRejects } from "../helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Collects what a parser reports. */
function collector() {
  const seen = {
    status: 0,
    headers: new Map<string, string>(),
    body: "",
    stamps: [] as number[],
    ended: undefined as { stamp: number; reusable: boolean } | undefined,
  };
  const handler: ResponseHandler = {
    onHead(status, headers) {
      seen.status = status;
      seen.headers = headers;
    },
    onBody(bytes, stamp) {
      seen.body += dec.decode(bytes);
      seen.stamps.push(stamp);
    },
    onEnd(stamp, reusable) {
      seen.ended = { stamp, reusable };
    },
  };
  return { seen, handler };
}

const CHUNKED = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n" +
  "transfer-encoding: chunked\r\n\r\n" +
  "d\r\ndata: hello\n\n\r\n" +
  "9;name=value;x\r\ndata: b\n\n\r\n" +
  "0\r\nx-trailer: 1\r\nx-other: 2\r\n\r\n";

Deno.test("ResponseParser reads a chunked body the same way wherever the reads split it", () => {
  const bytes = enc.encode(CHUNKED);
  for (let a = 1; a < bytes.length; a++) {
    for (const b of [a + 1, a + 3, a + 7, bytes.length]) {
      if (b > bytes.length) continue;
      const { seen, handler } = collector();
      const parser = new ResponseParser(handler);
      parser.push(bytes.subarray(0, a), 1);
      if (b > a) parser.push(bytes.subarray(a, b), 2);
      if (b < bytes.length) parser.push(bytes.subarray(b), 3);
      const where = `split at ${a} and ${b}`;
      assertEquals(seen.status, 200, where);
      assertEquals(seen.headers.get("content-type"), "text/event-stream", where);
      assertEquals(seen.body, "data: hello\n\ndata: b\n\n", where);
      assertEquals(seen.ended?.reusable, true, where);
      assert(parser.done, where);
    }
  }
});

Deno.test("ResponseParser stamps each body piece with the read that carried it", () => {
  const { seen, handler } = collector();
  const parser = new ResponseParser(handler);
  const bytes = enc.encode(CHUNKED);
  const cut = CHUNKED.indexOf("9;name");
  parser.push(bytes.subarray(0, cut), 10);
  parser.push(bytes.subarray(cut), 20);
  assertEquals(seen.stamps, [10, 20]);
  assertEquals(
    seen.ended?.stamp,
    20,
    "the end carries the stamp of the read holding the last chunk",
  );
});

Deno.test("ResponseParser skips a 100 Continue, joins repeated headers and honours connection: close", () => {
  const { seen, handler } = collector();
  const parser = new ResponseParser(handler);
  parser.push(
    enc.encode(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nSet-Thing: a\r\n" +
        "set-thing: b\r\nConnection: close\r\ncontent-length: 5\r\n\r\nslow!",
    ),
    1,
  );
  assertEquals(seen.status, 429);
  assertEquals(seen.headers.get("set-thing"), "a, b");
  assertEquals(seen.body, "slow!");
  assertEquals(seen.ended?.reusable, false);
});

Deno.test("ResponseParser ends a body without length at the close, and fails one cut short", () => {
  const untilClose = collector();
  const p1 = new ResponseParser(untilClose.handler);
  p1.push(enc.encode("HTTP/1.1 200 OK\r\n\r\nall of it"), 1);
  assertEquals(untilClose.seen.ended, undefined);
  p1.close(2);
  assertEquals(untilClose.seen.body, "all of it");
  assertEquals(untilClose.seen.ended, { stamp: 2, reusable: false });

  const cut = new ResponseParser(collector().handler);
  cut.push(enc.encode("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc"), 1);
  let error: unknown;
  try {
    cut.close(2);
  } catch (e) {
    error = e;
  }
  assert(error instanceof HttpParseError, String(error));
  assertEquals((error as Error).message, "the connection closed before the response ended");
});

Deno.test("ResponseParser refuses malformed framing and bytes after the response", () => {
  const cases: Array<[string, RegExp]> = [
    ["HTTP/2 200\r\n\r\n", /not an HTTP\/1\.x status line/],
    ["HTTP/1.1 200 OK\r\nbad line\r\n\r\n", /malformed header line/],
    ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", /malformed chunk size/],
    ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabc\r\n", /ran past its size/],
    ["HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nab", /after the response's end/],
  ];
  for (const [text, pattern] of cases) {
    const parser = new ResponseParser(collector().handler);
    let message = "";
    try {
      parser.push(enc.encode(text), 1);
    } catch (e) {
      message = (e as Error).message;
    }
    assert(pattern.test(message), `${JSON.stringify(text)}: ${message}`);
  }
});

Deno.test("requestBytes() frames the body with its length after a head built once", () => {
  const prefix = requestHeadPrefix("POST", new URL("http://127.0.0.1:8000/v1/x?a=1"), {
    "content-type": "application/json",
    "Content-Length": "999",
  });
  const wire = dec.decode(requestBytes(prefix, enc.encode('{"a":1}')));
  assertEquals(
    wire,
    'POST /v1/x?a=1 HTTP/1.1\r\nhost: 127.0.0.1:8000\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n{"a":1}',
  );
});

/**
 * A loopback TCP server that answers each request (read until the head and
 * its content-length body are in) with the next of `replies`, written in the
 * given pieces; a `null` piece closes the connection there. Returns the URL
 * and what it saw.
 */
function rawServer(replies: Array<Array<string | null>>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const seen = { connections: 0, requests: [] as string[] };
  const conns = new Set<Deno.Conn>();
  let next = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      seen.connections++;
      conns.add(conn);
      (async () => {
        const buffer = new Uint8Array(65536);
        let text = "";
        try {
          for (;;) {
            const n = await conn.read(buffer);
            if (n === null) return;
            text += dec.decode(buffer.subarray(0, n));
            for (;;) {
              const headEnd = text.indexOf("\r\n\r\n");
              if (headEnd < 0) break;
              const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0);
              if (text.length < headEnd + 4 + length) break;
              seen.requests.push(text.slice(0, headEnd + 4 + length));
              text = text.slice(headEnd + 4 + length);
              for (const piece of replies[next++] ?? []) {
                if (piece === null) {
                  conn.close();
                  return;
                }
                await conn.write(enc.encode(piece));
                await new Promise((r) => setTimeout(r, 5));
              }
            }
          }
        } catch {
          // the client closed first
        } finally {
          conns.delete(conn);
          try {
            conn.close();
          } catch {
            // already closed
          }
        }
      })();
    }
  })();
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    seen,
    async close() {
      listener.close();
      for (const c of conns) c.close();
      await serving.catch(() => {});
    },
  };
}

async function post(transport: RawTransport, url: string, body = "{}") {
  let sentAt: number | undefined;
  const before = performance.now();
  const response = await transport.request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: enc.encode(body),
    signal: AbortSignal.timeout(5000),
    onSent: (stamp) => (sentAt = stamp),
  });
  assert(sentAt !== undefined && sentAt >= before, "onSent gives the write's stamp");
  return response;
}

const SSE_OK = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n" +
  "transfer-encoding: chunked\r\n\r\n";

Deno.test("RawTransport reuses a kept-alive connection after a response, and opens a new one after connection: close", async () => {
  const server = rawServer([
    [SSE_OK, "7\r\ndata: 1\r\n", "0\r\n\r\n"],
    ["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"],
    ["HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 3\r\n\r\nbye"],
    ["HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nfresh"],
  ]);
  const transport = new RawTransport();
  try {
    const first = await post(transport, server.url);
    const pieces: string[] = [];
    await first.stream((b) => pieces.push(dec.decode(b)), AbortSignal.timeout(5000));
    assertEquals(pieces.join(""), "data: 1");
    assertEquals(await (await post(transport, server.url)).text(), "ok");
    assertEquals(server.seen.connections, 1, "the second request reused the connection");
    assertEquals(await (await post(transport, server.url)).text(), "bye");
    assertEquals(await (await post(transport, server.url)).text(), "fresh");
    assertEquals(server.seen.connections, 2, "connection: close was honoured");
    assertEquals(server.seen.requests.length, 4);
    assert(
      server.seen.requests[0]!.startsWith("POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:"),
      server.seen.requests[0]!,
    );
    assert(server.seen.requests[0]!.endsWith("content-length: 2\r\n\r\n{}"));
  } finally {
    transport.close();
    await server.close();
  }
});

Deno.test("RawTransport skips a 100 Continue and reads a content-length error body", async () => {
  const error = '{"error":{"message":"bad"}}';
  const server = rawServer([[
    "HTTP/1.1 100 Continue\r\n\r\n",
    `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${error.length}\r\n\r\n`,
    error.slice(0, 10),
    error.slice(10),
  ]]);
  const transport = new RawTransport();
  try {
    const response = await post(transport, server.url);
    assertEquals(response.status, 400);
    assertEquals(response.header("content-type"), "application/json");
    assertEquals(await response.text(), error);
  } finally {
    transport.close();
    await server.close();
  }
});

Deno.test("RawTransport fails a body cut off by the connection's close, and does not send it again", async () => {
  const server = rawServer([[SSE_OK, "7\r\ndata: 1\r\n", "20\r\ndata: half", null]]);
  const transport = new RawTransport();
  try {
    const response = await post(transport, server.url);
    const pieces: string[] = [];
    await assertRejects(
      () => response.stream((b) => pieces.push(dec.decode(b)), AbortSignal.timeout(5000)),
      /^the connection closed before the response ended$/,
    );
    assertEquals(pieces.join(""), "data: 1data: half");
    assertEquals(server.seen.requests.length, 1);
  } finally {
    transport.close();
    await server.close();
  }
});

Deno.test("RawTransport closes the connection on abort and never re-sends the POST", async () => {
  const server = rawServer([[SSE_OK, "7\r\ndata: 1\r\n"], [
    "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nnext",
  ]]);
  const transport = new RawTransport();
  try {
    const controller = new AbortController();
    const response = await transport.request(server.url, {
      method: "POST",
      headers: {},
      body: "{}",
      signal: controller.signal,
    });
    const streaming = response.stream((b) => {
      if (dec.decode(b).includes("data: 1")) controller.abort(new Error("enough"));
    }, controller.signal);
    await assertRejects(() => streaming, /^enough$/);
    assertEquals(await (await post(transport, server.url)).text(), "next");
    assertEquals(server.seen.connections, 2, "the aborted connection was not reused");
    assertEquals(server.seen.requests.length, 2, "each request reached the server once");
  } finally {
    transport.close();
    await server.close();
  }
});
