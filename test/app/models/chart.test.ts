// The reusable SVG line chart: tick/scale geometry, gaps for non-finite values, and the server-rendered SVG
// (axis labels, one path per series, log axis, empty state).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { formatNumber, linePath, logTicks, makeScale, nearestIndex, niceTicks, smoothEma } from "../../../app/_components/charts/scale";
import { LineChart } from "../../../app/_components/charts/LineChart";

describe("scale", () => {
  it("nice ticks cover the range at 1/2/2.5/5 steps without float drift", () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0.13, 0.91, 4), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0, 1, 4), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(niceTicks(3, 997, 5), [0, 200, 400, 600, 800, 1000]);
    assert.deepEqual(niceTicks(0.1, 0.3, 2), [0.1, 0.2, 0.3]);
    assert.deepEqual(niceTicks(2, 2, 4), [1.8, 1.9, 2, 2.1, 2.2]);
    assert.deepEqual(niceTicks(0, 0, 2), [-1, 0, 1]);
  });
  it("log ticks are powers of ten spanning the data", () => {
    assert.deepEqual(logTicks(0.03, 4.2), [0.01, 0.1, 1, 10]);
    assert.deepEqual(logTicks(2, 3), [1, 10]);
  });
  it("a linear scale maps the tick domain onto the pixel range and inverts", () => {
    const s = makeScale("linear", 0.13, 0.91, 100, 500, { ticks: 4 });
    assert.deepEqual(s.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(s.domain, [0, 1]);
    assert.equal(s.map(0), 100);
    assert.equal(s.map(1), 500);
    assert.equal(s.map(0.5), 300);
    assert.ok(Math.abs(s.invert(s.map(0.37)) - 0.37) < 1e-12);
    const fixed = makeScale("linear", 0.4, 0.6, 0, 100, { fixed: [0, 1] });
    assert.deepEqual(fixed.domain, [0, 1]);
    assert.equal(fixed.map(0.5), 50);
  });
  it("a log scale is used only for positive data, and maps decades evenly", () => {
    const s = makeScale("log", 0.05, 5, 200, 0);
    assert.equal(s.kind, "log");
    assert.deepEqual(s.domain, [0.01, 10]);
    assert.equal(s.map(0.01), 200);
    assert.equal(s.map(10), 0);
    assert.ok(Math.abs(s.map(0.1) - 200 * (2 / 3)) < 1e-9);
    assert.ok(Math.abs(s.invert(s.map(0.3)) - 0.3) < 1e-12);
    assert.equal(makeScale("log", 0, 5, 0, 100).kind, "linear");
  });
  it("nearest index by binary search, ties to the earlier point", () => {
    const xs = [0, 10, 20, 40];
    assert.equal(nearestIndex(xs, -5), 0);
    assert.equal(nearestIndex(xs, 14), 1);
    assert.equal(nearestIndex(xs, 15), 1);
    assert.equal(nearestIndex(xs, 16), 2);
    assert.equal(nearestIndex(xs, 31), 3);
    assert.equal(nearestIndex(xs, 99), 3);
    assert.equal(nearestIndex([], 1), -1);
  });
  it("a path breaks at NaN / Infinity and, on a log axis, at values ≤ 0", () => {
    const id = (v: number) => v;
    assert.equal(linePath([[0, 1], [1, 2], [2, NaN], [3, 4], [4, 5]], id, id), "M0.0,1.0L1.0,2.0M3.0,4.0L4.0,5.0");
    assert.equal(linePath([[0, 1], [1, Infinity], [2, 3]], id, id), "M0.0,1.0M2.0,3.0");
    assert.equal(linePath([[0, 1], [1, 0], [2, 3]], id, id, true), "M0.0,1.0M2.0,3.0");
    assert.equal(linePath([], id, id), "");
  });
  it("EMA smoothing is debiased (starts at the first value), keeps a constant, skips NaN as a gap", () => {
    assert.deepEqual(smoothEma([[0, 5], [1, 5], [2, 5]], 0.9).map((p) => Number(p[1].toFixed(12))), [5, 5, 5]);
    const s = smoothEma([[0, 0], [1, 10], [2, NaN], [3, 10]], 0.5);
    assert.equal(s[0]![1], 0);
    assert.ok(Math.abs(s[1]![1] - 5 / 0.75) < 1e-12, "debiased: (0.5·0 + 0.5·10) / (1 − 0.25)");
    assert.ok(Number.isNaN(s[2]![1]));
    assert.ok(Math.abs(s[3]![1] - 7.5 / 0.875) < 1e-12, "(0.5·5 + 0.5·10) / (1 − 0.125)");
    assert.deepEqual(smoothEma([[0, 1], [1, 3]], 0), [[0, 1], [1, 3]]);
  });
  it("numbers print compactly", () => {
    assert.equal(formatNumber(0), "0");
    assert.equal(formatNumber(1200), "1200");
    assert.equal(formatNumber(0.123456), "0.123");
    assert.equal(formatNumber(2.5e-5), "2.5e-5");
    assert.equal(formatNumber(3e6), "3.0e6");
    assert.equal(formatNumber(NaN), "NaN");
  });
});

describe("LineChart (server-rendered)", () => {
  it("draws labelled axes, one path per series with a gap at NaN, and a legend with the last finite value", () => {
    const html = renderToStaticMarkup(createElement(LineChart, {
      title: "Loss", xLabel: "step", yLabel: "loss", testId: "c",
      series: [
        { name: "loss", points: [[0, 4], [10, 2], [20, NaN], [30, 1]] },
        { name: "loss_patch", points: [[0, 2], [10, 1.5], [20, 1], [30, 0.5]] },
      ],
    }));
    assert.match(html, /data-testid="c"/);
    assert.match(html, />step</);
    assert.match(html, />loss</);
    assert.match(html, /aria-label="Loss: loss against step"/);
    const loss = /<path d="([^"]*)" data-series="loss" data-points="4"/.exec(html);
    assert.ok(loss, html);
    assert.equal(loss[1]!.split("M").length - 1, 2, "the NaN splits the line in two");
    assert.match(html, /data-series="loss_patch" data-points="4"/);
    // y ticks 0..4 and x ticks 0..30 are labelled.
    for (const t of ["0", "1", "2", "3", "4"]) assert.match(html, new RegExp(`text-anchor="end"[^>]*>${t}</text>`));
    for (const t of ["0", "10", "20", "30"]) assert.match(html, new RegExp(`text-anchor="middle"[^>]*>${t}</text>`));
    assert.match(html, /loss_patch<span[^>]*> 0.5<\/span>/);
    assert.doesNotMatch(html, /chart-hover/, "no hover box before the pointer moves");
  });
  it("xExtent widens the step axis (charts of one run line up)", () => {
    const props = { title: "V", xLabel: "step", yLabel: "F1", series: [{ name: "val_f1", points: [[20, 0.2], [120, 0.6]] as const }] };
    const own = renderToStaticMarkup(createElement(LineChart, props));
    const shared = renderToStaticMarkup(createElement(LineChart, { ...props, xExtent: [0, 120] as const }));
    assert.doesNotMatch(own, /text-anchor="middle"[^>]*>0<\/text>/);
    assert.match(shared, /text-anchor="middle"[^>]*>0<\/text>/);
  });
  it("a faint companion series is drawn thin and translucent, outside the legend", () => {
    const html = renderToStaticMarkup(createElement(LineChart, {
      title: "L", xLabel: "step", yLabel: "loss",
      series: [{ name: "loss (raw)", faint: true, color: "#123456", points: [[0, 3], [1, 1]] }, { name: "loss", color: "#123456", points: [[0, 3], [1, 2]] }],
    }));
    assert.match(html, /data-series="loss \(raw\)"[^>]*stroke-width="1" stroke-opacity="0.25"/);
    assert.match(html, /data-series="loss"[^>]*stroke-width="1.8" stroke-opacity="1"/);
    assert.doesNotMatch(html, /<button[^>]*>.*loss \(raw\)/);
  });
  it("a log y axis labels decades; an empty chart says so", () => {
    const html = renderToStaticMarkup(createElement(LineChart, { title: "L", xLabel: "step", yLabel: "loss", yScale: "log", series: [{ name: "loss", points: [[0, 5], [1, 0.05]] }] }));
    assert.match(html, /log scale/);
    for (const t of ["0.01", "0.1", "1", "10"]) assert.match(html, new RegExp(`>${t.replace(".", "\\.")}</text>`));
    const empty = renderToStaticMarkup(createElement(LineChart, { title: "E", xLabel: "step", yLabel: "F1", series: [], emptyText: "no validation yet" }));
    assert.match(empty, /no validation yet/);
  });
});
