// Behaviour of the Molmo2 text point/track formats: the documented rules, and fast-check properties
// (writer → parser is the identity up to the 0–1000 quantisation; the parsers never throw).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  extractAnyPoints,
  extractMultiImagePoints,
  extractPoints,
  extractPointTracks,
  extractTracks,
  formatImagePoints,
  formatTracks,
  formatVideoPoints,
  type FramePoints,
  type Result,
  type TrackFrameInput,
} from "../../lib/grounding/text";
import { pyFixed, pyRepr, pyRound } from "../../lib/grounding/text/pyCompat";
import { POINTS_RE, scanPointTriples } from "../../lib/grounding/text/unifiedParser";

function value<T>(r: Result<T>): T {
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return r.value;
}

test("pointing ids are running counters across frames; points sorted by rounded (x, y)", () => {
  const text = formatVideoPoints(
    [
      { time: 0.5, points: [{ x: 30, y: 10 }, { x: 10, y: 90 }] },
      { time: 1.25, points: [] },
      { time: 2, points: [{ x: 50, y: 50 }] },
    ],
    { width: 100, height: 100, label: "cat", mode: "point" },
  );
  // 1.25 is an exact binary tie: "%0.1f" rounds half to even ("1.2"), unlike JS toFixed ("1.3").
  assert.equal(text, '<points coords="0.5 1 100 900 2 300 100;1.2 ;2.0 3 500 500">cat</points>');
});

test("answer sentences: counting forms and 'There are none.'", () => {
  const pts = [{ x: 1, y: 2 }];
  const o = { width: 10, height: 10, label: "dog" };
  assert.equal(formatImagePoints(pts, { ...o, mode: "point_then_count" }), 'Counting the <points coords="1 1 100 200">dog</points> shows a total of 1.');
  assert.equal(formatImagePoints(pts, { ...o, mode: "count_then_point" }), 'There are 1 <points coords="1 1 100 200">dog</points>.');
  assert.equal(formatImagePoints(pts, { ...o, mode: "count" }), "1");
  assert.equal(formatImagePoints([], o), "There are none.");
  assert.equal(formatImagePoints(pts, { ...o, format: "html-v1", alt: "a dog", mode: "point" }), '<points alt="a dog" coords="1 1 100 200">dog</points>');
});

test("tracking ids are persistent, numbered by first appearance after the xy sort; occluded points are skipped", () => {
  const frames: TrackFrameInput[] = [
    { time: 1, points: [{ id: 7, x: 80, y: 10 }, { id: 3, x: 20, y: 10 }] },
    { time: 0, points: [{ id: 7, x: 90, y: 10, occluded: true }] },
    { time: 2, points: [{ id: 9, x: 5, y: 5 }, { id: 7, x: 60, y: 60 }, { id: 3, x: 1, y: 1, occluded: true }] },
  ];
  const text = formatTracks(frames, { width: 100, height: 100, label: "x", format: "html-v1" });
  assert.equal(text, '<tracks coords="1.0 1 200 100 2 800 100\t2.0 2 600 600 3 050 050">x</tracks>');
  assert.equal(formatTracks([], { width: 1, height: 1 }), "No tracks available.");
  assert.equal(formatTracks([{ time: 0, points: [{ id: 1, x: 0, y: 0, occluded: true }] }], { width: 1, height: 1 }), "");
});

test("extractTracks: frame = round(time·fps) with ties to even; duplicate ids in a frame are dropped", () => {
  const r = value(extractTracks('<tracks coords="0.5 1 100 200 1 300 300 2 999 999;1.5 1 500 500">t</tracks>', { width: 200, height: 100, fps: 1 }));
  assert.deepEqual(r, [
    { frame: 0, time: 0.5, points: [{ id: 1, x: 20, y: 20 }, { id: 2, x: 199.8, y: 99.9 }] },
    { frame: 2, time: 1.5, points: [{ id: 1, x: 100, y: 50 }] },
  ]);
});

test("the quirky out-of-range clip of _scale_point is reproduced", () => {
  // x out of range, y in range: both are clipped.
  assert.equal(formatImagePoints([{ x: 150, y: 50 }], { width: 100, height: 100, mode: "point" }), '<points coords="1 1 1000 500"></points>');
  // y out of range: nothing is clipped (operator precedence in the reference), coordinates leave 0–1000.
  assert.equal(formatImagePoints([{ x: -5, y: 150 }], { width: 100, height: 100, mode: "point" }), '<points coords="1 1 -50 1500"></points>');
});

test("malformed input gives a typed error with the offset of the bad field, never an exception", () => {
  const r = extractTracks('<tracks coords="0.5 1 100 200;1.2.3 1 100 200">t</tracks>', { width: 10, height: 10, fps: 2 });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.error.message, /could not convert string to float: '1\.2\.3'/);
    assert.equal(r.error.offset, '<tracks coords="0.5 1 100 200;1.2.3'.indexOf("1.2.3"));
  }
  const bad = extractTracks("x", { width: 10, height: 10, fps: NaN });
  assert.equal(bad.ok, false);
  assert.equal(value(extractPoints("no points here", { width: 1, height: 1 })).length, 0);
});

test("legacy Molmo-1 forms are parsed when no coords= text is present", () => {
  assert.deepEqual(value(extractPoints("Click(50.0, 25.0)", { width: 200, height: 100 })), [{ x: 100, y: 25 }]);
  assert.deepEqual(value(extractMultiImagePoints("<points 2.5\t1 10.0 20.0/>", { width: 100, height: 10 })), [{ frame: 2.5, x: 10, y: 2 }]);
  const t = value(extractTracks("time 0.50\n{0: [50.0, 25.0]}", { width: 200, height: 100, fps: 4 }));
  assert.deepEqual(t, [{ frame: 2, time: 0.5, points: [{ id: 0, x: 100, y: 25 }] }]);
});

// ---- properties

const sizeArb = fc.record({ width: fc.integer({ min: 1, max: 4096 }), height: fc.integer({ min: 1, max: 4096 }) });

/** Valid tracks: coordinates inside the image, one point per object per frame, timestamps on the 0.1 s grid. */
const tracksArb = sizeArb.chain(({ width, height }) =>
  fc.record({
    width: fc.constant(width),
    height: fc.constant(height),
    fps: fc.constantFrom(1, 2, 6, 24, 25, 29.97, 30),
    format: fc.constantFrom("html-v1" as const, "html-v2" as const),
    frames: fc.uniqueArray(
      fc.record({
        tenths: fc.integer({ min: 0, max: 6000 }),
        points: fc.uniqueArray(
          fc.record({
            id: fc.integer({ min: 0, max: 20 }),
            x: fc.double({ min: 0, max: width, noNaN: true }),
            y: fc.double({ min: 0, max: height, noNaN: true }),
            occluded: fc.boolean(),
          }),
          { selector: (p) => p.id, maxLength: 6 },
        ),
      }),
      { selector: (f) => f.tenths, maxLength: 12 },
    ),
  }),
);

/** The 0–1000 quantisation, modelled exactly: writer rounds half-to-even, parser maps back with v/1000·size. */
function quantise(v: number, size: number): number {
  return (pyRound(1000 * (v / size)) / 1000) * size;
}

test("property: formatTracks → extractTracks is the identity up to quantisation and id relabelling", () => {
  fc.assert(
    fc.property(tracksArb, ({ width, height, fps, format, frames }) => {
      const input: TrackFrameInput[] = frames.map((f) => ({ time: f.tenths / 10, points: f.points }));
      const text = formatTracks(input, { width, height, format, label: "obj" });
      const parsed: FramePoints[] = value(extractTracks(text, { width, height, fps }));
      const expected = [...input]
        .sort((a, b) => a.time - b.time)
        .map((f) => ({ time: f.time, points: f.points.filter((p) => !p.occluded) }))
        .filter((f) => f.points.length > 0);
      assert.equal(parsed.length, expected.length);
      const relabel = new Map<number, number>();
      const used = new Set<number>();
      let nextNew = 1;
      expected.forEach((f, i) => {
        const got = parsed[i];
        assert.equal(got.time, Number(pyFixed(f.time, 1)));
        assert.equal(got.frame, pyRound(got.time * fps));
        assert.equal(got.points.length, f.points.length);
        const byLabel = new Map(got.points.map((p) => [p.id, p]));
        // Persistent ids are handed out 1, 2, … in order of first appearance: this frame's new ids are the next ones.
        const fresh = got.points.filter((q) => !used.has(q.id)).map((q) => q.id).sort((a, b) => a - b);
        assert.deepEqual(fresh, fresh.map((_, k) => nextNew + k));
        for (const p of f.points) {
          const hits = got.points.filter((q) => q.x === quantise(p.x, width) && q.y === quantise(p.y, height));
          assert.ok(hits.length > 0, `point ${p.x},${p.y} of object ${p.id} lost`);
          const label = relabel.get(p.id);
          if (label !== undefined) {
            const q = byLabel.get(label);
            assert.ok(q && q.x === quantise(p.x, width) && q.y === quantise(p.y, height), `object ${p.id} changed id`);
          }
        }
        // Fix the relabelling for this frame's new objects (several may share a quantised position).
        for (const p of f.points) {
          if (relabel.has(p.id)) continue;
          const q = got.points.find((c) => !used.has(c.id) && c.x === quantise(p.x, width) && c.y === quantise(p.y, height))!;
          relabel.set(p.id, q.id);
          used.add(q.id);
          nextNew++;
        }
      });
      assert.equal(new Set(relabel.values()).size, relabel.size);
    }),
    { numRuns: 300 },
  );
});

test("property: formatImagePoints → extractPoints returns the quantised points sorted by (x, y)", () => {
  fc.assert(
    fc.property(
      sizeArb.chain(({ width, height }) =>
        fc.record({
          width: fc.constant(width),
          height: fc.constant(height),
          points: fc.array(fc.record({ x: fc.double({ min: 0, max: width, noNaN: true }), y: fc.double({ min: 0, max: height, noNaN: true }) }), { maxLength: 20 }),
        }),
      ),
      ({ width, height, points }) => {
        const text = formatImagePoints(points, { width, height, label: "p" });
        const got = value(extractPoints(text, { width, height }));
        const q = points.map((p) => ({ qx: pyRound(1000 * (p.x / width)), qy: pyRound(1000 * (p.y / height)) }));
        q.sort((a, b) => a.qx - b.qx || a.qy - b.qy);
        assert.deepEqual(got, q.map(({ qx, qy }) => ({ x: (qx / 1000) * width, y: (qy / 1000) * height })));
      },
    ),
    { numRuns: 300 },
  );
});

const textArb = fc.oneof(
  fc.string({ unit: "grapheme-composite", maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc
    .array(
      fc.constantFrom(
        '<points coords="', '<tracks coords="', '">', "</points>", "/>", "<points ", "time ", "\n", "{", "}", "[", "]", "(", ")",
        ",", ":", ";", "\t", " ", ".", "-", "'", '"', "0", "1", "12", "500", "1000", "99999", "0.5", "1.2.3", "True", "None",
        "x1=\"", "y1=\"", "Click(", "p=", "1e999", "nan", "#", "\\", "\u0661", "j", "b'", "0x1F", "_", "\r", "\u2028", "0: (", "inf", "-", "\"yes\"", "yes", "\x85", "\x1c",
      ),
      { maxLength: 60 },
    )
    .map((parts) => parts.join("")),
);

test("property: the parsers never throw and never fail internally on arbitrary text", () => {
  fc.assert(
    fc.property(textArb, sizeArb, fc.constantFrom(1, 2, 6, 29.97, 0), fc.constantFrom("video_point_track_per_frame" as const, "video_point_ground_start_end" as const, "video_single_point_track_per_frame" as const, null), (text, size, fps, legacyFormat) => {
      const results = [
        extractTracks(text, { ...size, fps, legacyFormat }),
        extractPointTracks(text, { ...size, fps }),
        extractPoints(text, size),
        extractMultiImagePoints(text, size),
        extractMultiImagePoints(text, { sizes: [size, { width: 7, height: 3 }] }),
        extractAnyPoints(text, size),
        extractAnyPoints(text, { sizes: [size] }),
      ];
      for (const r of results) {
        if (!r.ok) assert.doesNotMatch(r.error.message, /^internal error/);
      }
    }),
    { numRuns: 3000 },
  );
});

test("property: the regex-free point scanner finds exactly the matches of the reference points_regex", () => {
  fc.assert(
    fc.property(
      fc
        .array(
          fc.record({
            run: fc.string({ unit: fc.constantFrom("0", "1", "5", "9"), minLength: 1, maxLength: 6 }),
            sep: fc.constantFrom(" ", " ", ".", "  ", ". "),
          }),
          { maxLength: 24 },
        )
        .map((parts) => parts.map((p) => p.run + p.sep).join("")),
      (s) => {
      const expected = [...s.matchAll(new RegExp(POINTS_RE.source, "g"))].map((m) => [m.index, m[1], Number(m[2]), Number(m[3])]);
      const got: unknown[] = [];
      scanPointTriples(s, (a, b, x, y) => got.push([a, s.slice(a, b), x, y]));
      assert.deepEqual(got, expected);
      },
    ),
    { numRuns: 5000 },
  );
});

test("pyRepr writes floats like Python's repr", () => {
  const cases: Array<[number, string]> = [
    [5, "5.0"], [0.1, "0.1"], [-2.5, "-2.5"], [1e16, "1e+16"], [1.5e16, "1.5e+16"], [1e-5, "1e-05"], [0.0001, "0.0001"],
    [123456789012345678, "1.2345678901234568e+17"], [-0, "-0.0"], [1e22, "1e+22"], [2.5e-7, "2.5e-07"], [9999999999999998, "9999999999999998.0"],
  ];
  for (const [x, s] of cases) assert.equal(pyRepr(x), s, String(x));
});
