/**
 * Image-to-text requests: chat messages with a text part and image parts,
 * each image a data URL — read from local files, or generated (a seeded PNG of
 * a given width × height, encoded here with the platform's zlib stream).
 *
 * @module
 */

import { z } from "zod";
import { COMMON_FIELDS, positiveInt } from "./_config.ts";
import type { DatasetKind } from "./kind.ts";
import { UsageError } from "../errors.ts";
import type { RequestSpec } from "./spec.ts";
import { Random } from "../random.ts";

/** Settings of the image source. */
export interface ImageOptions {
  prompt: string;
  /** Local image files (png, jpg/jpeg, webp, gif), used in turn. */
  files?: string[];
  /** Generated images, when no files are given. */
  width?: number;
  height?: number;
  /** Images per request. */
  perRequest: number;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A seeded RGB PNG of width × height. */
export async function generatePng(
  width: number,
  height: number,
  seed: number,
): Promise<Uint8Array> {
  const random = new Random(seed);
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    raw[row] = 0; // filter: none
    for (let i = 1; i <= width * 3; i++) raw[row + i] = Math.floor(random.next() * 256);
  }
  const zlib = new Uint8Array(
    await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate")))
      .arrayBuffer(),
  );
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const MIME: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
};

function dataUrl(bytes: Uint8Array, mime: string): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:${mime};base64,${btoa(bin)}`;
}

/** A generated PNG ({@link generatePng}) as a data URL. */
export async function imageUrl(width: number, height: number, seed: number): Promise<string> {
  return dataUrl(await generatePng(width, height, seed), "image/png");
}

/** Yields `count` image requests. */
export async function* imageSpecs(
  options: ImageOptions,
  count: number,
  seed: number,
): AsyncGenerator<RequestSpec> {
  const urls: string[] = [];
  if (options.files?.length) {
    for (const f of options.files) {
      const ext = f.split(".").pop()!.toLowerCase();
      const mime = MIME[ext];
      if (!mime) {
        throw new UsageError(
          `Cannot use image "${f}": expected a .png, .jpg, .jpeg, .webp or .gif file`,
        );
      }
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(f);
      } catch (error) {
        throw new UsageError(`Cannot read image "${f}": ${(error as Error).message}`);
      }
      urls.push(dataUrl(bytes, mime));
    }
  }
  for (let i = 0; i < count; i++) {
    const parts: Array<Record<string, unknown>> = [{ type: "text", text: options.prompt }];
    for (let k = 0; k < options.perRequest; k++) {
      const url = urls.length
        ? urls[(i * options.perRequest + k) % urls.length]!
        : await imageUrl(options.width ?? 512, options.height ?? 512, seed + i * 31 + k);
      parts.push({ type: "image_url", image_url: { url } });
    }
    yield { messages: [{ role: "user", content: parts }] };
  }
}

const schema = z.strictObject({
  ...COMMON_FIELDS,
  type: z.literal("images"),
  prompt: z.string().min(1).default("Describe this image."),
  files: z.array(z.string().min(1)).optional(),
  width: positiveInt.default(512),
  height: positiveInt.default(512),
  images_per_request: positiveInt.default(1),
});

/** The image source (multimodal chat). */
export const imagesKind: DatasetKind<
  z.infer<typeof schema>,
  { type: "images"; images: ImageOptions }
> = {
  type: "images",
  description: "chat prompts with images: given files, or generated PNGs of a size",
  schema,
  readsFile: false,
  toSource: (cfg) => ({
    type: "images",
    images: {
      prompt: cfg.prompt,
      ...(cfg.files ? { files: cfg.files } : {}),
      width: cfg.width,
      height: cfg.height,
      perRequest: cfg.images_per_request,
    },
  }),
  specs: (source, ctx) => imageSpecs(source.images, ctx.count, ctx.seed),
};
