// Exactness against allenai/molmo2 (point_formatter.py / object_tracking_utils.py), using fixtures the
// reference produced (see test/fixtures/grounding/text/README.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  extractAnyPoints,
  extractMultiImagePoints,
  extractPoints,
  extractPointTracks,
  extractTracks,
  formatImagePoints,
  formatMultiImagePoints,
  formatTracks,
  formatLegacyImagePoints,
  formatLegacyTracks,
  formatLegacyVideoPoints,
  formatVideoPoints,
  legacyClockString,
  type LegacyImageFormat,
  type LegacyTrackStyle,
  type LegacyVideoPointsFormat,
  type LegacyTrackFormat,
  type OutputMode,
  type PointingFormat,
  type Result,
} from "../../lib/grounding/text";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/grounding/text");
type Expected = { value: unknown } | { error: string };
interface Case<I> {
  input: I;
  expected: Expected;
}
function load<I>(name: string): Case<I>[] {
  return (JSON.parse(readFileSync(path.join(dir, name), "utf8")) as { cases: Case<I>[] }).cases;
}

type P = { x: number; y: number };
type WriterInput =
  | { kind: "image"; format: PointingFormat; width: number; height: number; label: string; alt: string | null; mode: OutputMode; points: P[] }
  | {
      kind: "multi_image";
      format: PointingFormat;
      label: string;
      alt: string | null;
      mode: OutputMode;
      images: Array<{ index: number; width: number; height: number; points: P[] }>;
    }
  | { kind: "video_points"; format: PointingFormat; width: number; height: number; label: string; alt: null; mode: OutputMode; frames: Array<{ time: number; points: P[] }> }
  | {
      kind: "tracks";
      format: PointingFormat;
      width: number;
      height: number;
      label: string;
      alt: string | null;
      startEndOnly: boolean;
      fromInitialPoints?: Array<{ id: number; time: number }>;
      frames: Array<{ time: number; points: Array<{ id: number; x: number; y: number; occluded?: boolean }> }>;
    };

type LegacyWriterInput =
  | { kind: "legacy_image"; format: LegacyImageFormat; width: number; height: number; label: string; alt: string | null; mode: "point_then_count" | "point_count" | "point"; points: P[] }
  | { kind: "legacy_video_points"; format: LegacyVideoPointsFormat; label: string; mode: "point_count" | "count_point" | "count" | "point" | "pointing"; frames: Array<{ time: number; points: P[] }> }
  | {
      kind: "legacy_tracks";
      style: LegacyTrackStyle;
      width: number;
      height: number;
      initialPoints?: Array<{ id: number; frame: number }>;
      frames: Array<{ time: number; frame?: number; points: Array<{ id: number; x: number; y: number; occluded?: boolean }> }>;
    };

type ParserInput =
  | { kind: "points" | "multi_image_points"; text: string; width: number; height: number }
  | { kind: "multi_image_points_sizes"; text: string; sizes: Array<{ width: number; height: number }> }
  | { kind: "point_tracks"; text: string; width: number; height: number; fps: number }
  | { kind: "any_points"; text: string; width?: number; height?: number; sizes?: Array<{ width: number; height: number }> }
  | { kind: "tracks"; text: string; width: number; height: number; fps: number; legacyFormat: LegacyTrackFormat | null };

/** Python's json writes non-finite floats as strings in these fixtures. */
function decode(v: unknown): unknown {
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  return v;
}

function close(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === "number") {
    assert.equal(typeof actual, "number", `${where}: expected a number`);
    const a = actual as number;
    if (Number.isNaN(expected)) return assert.ok(Number.isNaN(a), `${where}: expected NaN, got ${a}`);
    if (!Number.isFinite(expected)) return assert.equal(a, expected, where);
    assert.ok(Math.abs(a - expected) <= 1e-6, `${where}: ${a} vs ${expected}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array`);
    assert.equal((actual as unknown[]).length, expected.length, `${where}: length`);
    expected.forEach((e, i) => close((actual as unknown[])[i], e, `${where}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === "object") {
    assert.ok(actual !== null && typeof actual === "object", `${where}: expected an object`);
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(expected).sort(), `${where}: keys`);
    for (const [k, e] of Object.entries(expected)) close((actual as Record<string, unknown>)[k], e, `${where}.${k}`);
    return;
  }
  assert.deepEqual(actual, expected, where);
}

function compare<T>(result: Result<T>, expected: Expected, toPlain: (v: T) => unknown, where: string): "value" | "error" {
  if ("error" in expected) {
    assert.equal(result.ok, false, `${where}: the reference raises ${expected.error}, we returned a value`);
    return "error";
  }
  assert.ok(result.ok, `${where}: we returned an error (${result.ok ? "" : result.error.message}), the reference a value`);
  close(toPlain(result.value), decode(expected.value), where);
  return "value";
}

test("writer output equals the reference formatter on every fixture case", () => {
  const cases = load<WriterInput | LegacyWriterInput>("writer.json");
  assert.ok(cases.length >= 300);
  for (const [n, { input, expected }] of cases.entries()) {
    const write = (): string => {
      switch (input.kind) {
        case "image":
          return formatImagePoints(input.points, { ...input, alt: input.alt ?? undefined });
        case "multi_image":
          return formatMultiImagePoints(input.images, { ...input, alt: input.alt ?? undefined });
        case "video_points":
          return formatVideoPoints(input.frames, { ...input, alt: undefined });
        case "tracks":
          return formatTracks(input.frames, { ...input, alt: input.alt ?? undefined });
        case "legacy_image":
          return formatLegacyImagePoints(input.points, { ...input, alt: input.alt ?? undefined });
        case "legacy_video_points":
          return formatLegacyVideoPoints(input.frames, input);
        case "legacy_tracks":
          return formatLegacyTracks(input.frames, input);
      }
    };
    if ("error" in expected) assert.throws(write, RangeError, `case ${n} (${input.kind}): the reference raises ${expected.error}`);
    else assert.equal(write(), expected.value, `case ${n} (${input.kind})`);
  }
});

test("parser output equals the reference extract_* functions on every fixture case", () => {
  const cases = load<ParserInput>("parser.json");
  assert.ok(cases.length >= 1900);
  const seen = { value: 0, error: 0 };
  for (const [n, { input, expected }] of cases.entries()) {
    const where = `case ${n} (${input.kind}) ${JSON.stringify(input.text).slice(0, 80)}`;
    let kind: "value" | "error";
    if (input.kind === "multi_image_points_sizes") {
      kind = compare(extractMultiImagePoints(input.text, { sizes: input.sizes }), expected, (v) => v.map((p) => [p.frame, p.x, p.y]), where);
      seen[kind]++;
      continue;
    }
    if (input.kind === "any_points") {
      const opts = input.sizes ? { sizes: input.sizes } : { width: input.width!, height: input.height! };
      kind = compare(extractAnyPoints(input.text, opts), expected, (v) => v.map((p) => [p.id, p.frame, p.x, p.y]), where);
      seen[kind]++;
      continue;
    }
    if (input.kind === "point_tracks") {
      kind = compare(
        extractPointTracks(input.text, input),
        expected,
        (v) => v.map((f) => ({ frame: f.frame, time: f.time, points: f.points.map((p) => [p.id, p.x, p.y, p.occluded]) })),
        where,
      );
      seen[kind]++;
      continue;
    }
    const opts = { width: input.width, height: input.height };
    if (input.kind === "points") kind = compare(extractPoints(input.text, opts), expected, (v) => v.map((p) => [p.x, p.y]), where);
    else if (input.kind !== "tracks")
      kind = compare(extractMultiImagePoints(input.text, opts), expected, (v) => v.map((p) => [p.frame, p.x, p.y]), where);
    else
      kind = compare(
        extractTracks(input.text, { ...opts, fps: input.fps, legacyFormat: input.legacyFormat }),
        expected,
        (v) =>
          v.map((f, i) => {
            // video_point_ground_start_end reports its time as an `MM:SS.FF` string made from frame / fps.
            const refTime = "value" in expected ? (expected.value as Array<{ time: unknown }>)[i]?.time : undefined;
            const time = typeof refTime === "string" ? legacyClockString(f.time) : f.time;
            return { frame: f.frame, time, points: f.points.map((p) => [p.id, p.x, p.y]) };
          }),
        where,
      );
    seen[kind]++;
  }
  // The fixtures must exercise both outcomes, or this test could not tell a broken parser from a silent one.
  assert.ok(seen.value > 400 && seen.error >= 10, JSON.stringify(seen));
});
