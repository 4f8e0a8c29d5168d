// GET /ffmpeg-core/:file — the ffmpeg.wasm core and its worker, served by the app itself from node_modules
// (never a CDN), to signed-in users only. Only the allow-listed files below can be named.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { notFound } from "../../../lib/services/errors";
import { ANY_ROLE } from "../../_server/auth";
import { route } from "../../_server/route";

const FILES: Record<string, { pkg: string; file: string; type: string }> = {
  "ffmpeg-core.js": { pkg: "@ffmpeg/core", file: "dist/esm/ffmpeg-core.js", type: "text/javascript; charset=utf-8" },
  "ffmpeg-core.wasm": { pkg: "@ffmpeg/core", file: "dist/esm/ffmpeg-core.wasm", type: "application/wasm" },
};
// The @ffmpeg/ffmpeg ES modules themselves: the page imports them from here at run time (the bundler cannot
// follow the library's `new Worker(new URL(…))`), and they import each other and the worker relatively.
for (const name of ["index.js", "classes.js", "const.js", "errors.js", "types.js", "utils.js", "worker.js"]) {
  FILES[name] = { pkg: "@ffmpeg/ffmpeg", file: `dist/esm/${name}`, type: "text/javascript; charset=utf-8" };
}

export const GET = route<{ file: string }>(ANY_ROLE, async ({ params }) => {
  const entry = Object.hasOwn(FILES, params.file) ? FILES[params.file] : undefined;
  if (!entry) throw notFound(`ffmpeg-core file '${params.file}'`);
  // Streamed: the wasm core is ~31 MB, so it is never buffered whole per request; `no-transform` keeps any
  // compressing proxy from gzipping it on every request.
  const file = path.join(process.cwd(), "node_modules", entry.pkg, entry.file);
  const { size } = await stat(file);
  const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
  return new Response(body, { headers: { "content-type": entry.type, "content-length": String(size), "cache-control": "private, max-age=86400, no-transform" } });
});
