// CVAT for video 1.1 XML, points tracks only:
// <annotations><version>1.1</version><meta><task>…<size>N</size>…<original_size><width/><height/></original_size>
// </task></meta><track id label source><points frame outside occluded keyframe points="x,y" z_order/>…</track>
// (a job export has <job> in place of <task>). CVAT interpolates single-point "points" tracks linearly with the
// state of the left shape, exactly the rule of lib/tracks/interpolate, so keyframes map one to one.
import { interpolateTrack, TrackSampler } from "../tracks/interpolate";
import type { Keyframe, KeyframeSource, TrackedObject, TrackSet } from "../tracks/types";
import { failure, guard, type ImportResult } from "./result";
import { unsafeNameReason } from "./safe-name";
import { escapeXml, parseXml, XmlSyntaxError, type XmlElement } from "./xml";

export interface CvatImportOptions {
  fileName?: string;
  /** CVAT XML has no frame rate. */
  fps: number;
}

/** CVAT writes interpolated (keyframe="0") shapes with 2 decimals; within this they agree with our interpolation. */
const INTERPOLATION_TOLERANCE = 0.006;

function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/**
 * Reads a CVAT for video 1.1 XML. keyframe="1" shapes become keyframes (outside="1" → outside, occluded="1" →
 * occluded). keyframe="0" shapes (CVAT exports every interpolated frame) are checked against the shared
 * interpolation; one that disagrees is kept as a keyframe with source `interpolated`, so nothing is lost.
 * Track source `manual` → keyframe source `human`, any other (`auto`, `semi-auto`, `file`, …) →
 * `model:cvat-<source>`. Other shape kinds, attributes, tags and image-mode files are refused with their line.
 */
export function importCvat(text: string, options: CvatImportOptions): ImportResult<TrackSet> {
  const file = options.fileName ?? "annotations.xml";
  return guard(() => {
    let root: XmlElement;
    try {
      root = parseXml(text);
    } catch (e) {
      if (e instanceof XmlSyntaxError) throw failure(`${file} line ${e.line}`, e.detail, { line: e.line });
      throw e;
    }
    const at = (el: XmlElement, detail: string, field?: string) => failure(`${file} line ${el.line}`, detail, { line: el.line, field });
    if (root.name !== "annotations") throw at(root, `root element must be <annotations>, found <${root.name}>`);
    const version = child(root, "version");
    if (!version || version.text.trim() !== "1.1") throw at(version ?? root, `<version> must be 1.1, found '${version?.text.trim() ?? "(missing)"}'`, "version");
    const meta = child(root, "meta");
    if (!meta) throw at(root, "missing <meta>", "meta");
    const task = child(meta, "task") ?? child(meta, "job");
    if (!task) throw at(meta, "<meta> has neither <task> nor <job>", "task");
    const num = (parent: XmlElement, name: string, kind: "int" | "positive int"): number => {
      const el = child(parent, name);
      if (!el) throw at(parent, `missing <${name}> in <${parent.name}>`, name);
      const s = el.text.trim();
      const v = Number(s);
      if (s === "" || !Number.isInteger(v) || v < (kind === "int" ? 0 : 1)) throw at(el, `<${name}> must be a ${kind === "int" ? "non-negative" : "positive"} integer, found '${s}'`, name);
      return v;
    };
    const frameCount = num(task, "size", "positive int");
    // Shapes carry source-video frame numbers: task frame i is start_frame + i * step (frame_filter "step=K").
    const startFrame = child(task, "start_frame") ? num(task, "start_frame", "int") : 0;
    const filterEl = child(task, "frame_filter");
    const filter = filterEl?.text.trim() ?? "";
    const stepMatch = /^step=([1-9][0-9]*)$/.exec(filter);
    if (filter !== "" && !stepMatch) throw at(filterEl!, `<frame_filter> '${filter}' is not supported (only step=K)`, "frame_filter");
    const step = stepMatch ? Number(stepMatch[1]) : 1;
    const original = child(task, "original_size");
    if (!original) throw at(task, `missing <original_size> in <${task.name}> (a video task has one)`, "original_size");
    const width = num(original, "width", "positive int");
    const height = num(original, "height", "positive int");
    const sourceEl = child(meta, "source") ?? child(task, "source");
    const name = sourceEl?.text.trim();
    if (sourceEl && name) {
      const why = unsafeNameReason(name);
      if (why) throw at(sourceEl, `file name ${JSON.stringify(name)} ${why}`, "source");
    }

    const objects: TrackedObject[] = [];
    const ids = new Map<string, number>();
    for (const el of root.children) {
      if (el.name === "version" || el.name === "meta") continue;
      if (el.name !== "track") throw at(el, `<${el.name}> is not supported (only points <track>s of a video task)`);
      const id = el.attrs.id;
      if (id === undefined || !/^(0|[1-9][0-9]*)$/.test(id)) throw at(el, `attribute 'id' of <track> must be a non-negative integer, found '${id ?? ""}'`, "id");
      const dup = ids.get(id);
      if (dup !== undefined) throw at(el, `track id ${id} is repeated (line ${dup})`, "id");
      ids.set(id, el.line);
      const label = el.attrs.label;
      if (label === undefined) throw at(el, "<track> has no 'label' attribute", "label");
      const trackSource = el.attrs.source ?? "manual";
      const source: KeyframeSource = trackSource === "manual" ? "human" : `model:cvat-${trackSource}`;
      const keyframes: Keyframe[] = [];
      const others: { kf: Keyframe; el: XmlElement }[] = [];
      const frames = new Map<number, number>();
      for (const s of el.children) {
        if (s.name !== "points") throw at(s, `<${s.name}> shapes are not supported in a track (points only)`);
        if (s.children.length) throw at(s.children[0], `<${s.children[0].name}> inside <points> is not supported (attributes are not kept)`);
        const flag = (attr: string): boolean => {
          const v = s.attrs[attr];
          if (v !== "0" && v !== "1") throw at(s, `attribute '${attr}' must be "0" or "1", found '${v ?? ""}'`, attr);
          return v === "1";
        };
        const fs = s.attrs.frame ?? "";
        const frame = (Number(fs) - startFrame) / step;
        if (fs === "" || !Number.isInteger(frame) || frame < 0 || frame >= frameCount) {
          const last = startFrame + (frameCount - 1) * step;
          throw at(s, `attribute 'frame' must be one of the task's frames ${startFrame}${step > 1 ? `, ${startFrame + step}, …` : "…"} ${last}, found '${fs}'`, "frame");
        }
        const seen = frames.get(frame);
        if (seen !== undefined) throw at(s, `frame ${frame} already has a shape in this track (line ${seen})`, "frame");
        frames.set(frame, s.line);
        const pts = s.attrs.points ?? "";
        const m = /^\s*([^,;\s]+)\s*,\s*([^,;\s]+)\s*$/.exec(pts);
        if (!m) throw at(s, `attribute 'points' must hold exactly one point "x,y", found '${pts}'`, "points");
        const x = Number(m[1]);
        const y = Number(m[2]);
        if (!Number.isFinite(x) || !Number.isFinite(y)) throw at(s, `attribute 'points' is not numeric: '${pts}'`, "points");
        const outside = flag("outside");
        const occluded = flag("occluded");
        const kf: Keyframe = { frame, x, y, state: outside ? "outside" : occluded ? "occluded" : "visible", source };
        if (flag("keyframe")) keyframes.push(kf);
        else others.push({ kf, el: s });
      }
      // CVAT's own export lists interpolated shapes; keep only those our interpolation would not reproduce.
      const sampler = new TrackSampler(keyframes, { frameCount });
      for (const { kf } of others) {
        const p = sampler.at(kf.frame);
        const same = p && p.state === kf.state && Math.abs(p.x - kf.x) <= INTERPOLATION_TOLERANCE && Math.abs(p.y - kf.y) <= INTERPOLATION_TOLERANCE;
        if (!same) keyframes.push({ ...kf, source: "interpolated" });
      }
      keyframes.sort((a, b) => a.frame - b.frame);
      objects.push({ objectId: id, label, keyframes });
    }
    return {
      video: { width, height, fps: options.fps, frameCount, ...(name ? { name } : {}) },
      objects,
    };
  });
}

export interface CvatExportOptions {
  /** Write every interpolated frame (keyframe="0") as CVAT's own exporter does (default), or keyframes only. */
  dense?: boolean;
  taskName?: string;
}

const num = (v: number) => String(v);

/**
 * Writes CVAT for video 1.1 XML. Track ids are the objectIds when all are distinct non-negative integers, else
 * 0, 1, …; labels default to `object`. Because CVAT has no shots and holds a track's last shape forever, a track
 * that becomes unknown at a shot boundary gets an outside="1" keyframe there.
 */
export function exportCvat(set: TrackSet, options: CvatExportOptions = {}): string {
  const { video } = set;
  const dense = options.dense ?? true;
  const numericIds = set.objects.every((o) => /^(0|[1-9][0-9]*)$/.test(o.objectId)) && new Set(set.objects.map((o) => o.objectId)).size === set.objects.length;
  const labels = [...new Set(set.objects.map((o) => o.label ?? "object"))];
  const out: string[] = [
    '<?xml version="1.0" encoding="utf-8"?>',
    "<annotations>",
    "  <version>1.1</version>",
    "  <meta>",
    "    <task>",
    `      <name>${escapeXml(options.taskName ?? video.name ?? "groundtrack")}</name>`,
    `      <size>${video.frameCount}</size>`,
    "      <mode>interpolation</mode>",
    "      <overlap>0</overlap>",
    "      <start_frame>0</start_frame>",
    `      <stop_frame>${video.frameCount - 1}</stop_frame>`,
    "      <labels>",
    ...labels.flatMap((l) => ["        <label>", `          <name>${escapeXml(l)}</name>`, "          <type>points</type>", "        </label>"]),
    "      </labels>",
    "      <original_size>",
    `        <width>${video.width}</width>`,
    `        <height>${video.height}</height>`,
    "      </original_size>",
    "    </task>",
    ...(video.name ? [`    <source>${escapeXml(video.name)}</source>`] : []),
    "  </meta>",
  ];
  set.objects.forEach((o, i) => {
    const id = numericIds ? o.objectId : String(i);
    const sources = new Set(o.keyframes.map((k) => k.source));
    const trackSource = [...sources].every((s) => s === "human" || s === "interpolated") ? "manual" : "auto";
    out.push(`  <track id="${id}" label="${escapeXml(o.label ?? "object")}" source="${trackSource}">`);
    const points = interpolateTrack(o.keyframes, { frameCount: video.frameCount, shotBoundaries: video.shotBoundaries });
    let last: (typeof points)[number] = null;
    for (let f = 0; f < points.length; f++) {
      const p = points[f];
      if (!p) {
        // Known on the previous frame, unknown now: a shot boundary. Stop CVAT from holding the last shape.
        if (last) out.push(shape(f, last.x, last.y, "outside", true));
        last = null;
        continue;
      }
      if (dense || p.isKeyframe) out.push(shape(f, p.x, p.y, p.state, p.isKeyframe));
      last = p;
    }
    out.push("  </track>");
  });
  out.push("</annotations>", "");
  return out.join("\n");
}

function shape(frame: number, x: number, y: number, state: Keyframe["state"], keyframe: boolean): string {
  const outside = state === "outside" ? 1 : 0;
  const occluded = state === "occluded" ? 1 : 0;
  return `    <points frame="${frame}" keyframe="${keyframe ? 1 : 0}" outside="${outside}" occluded="${occluded}" points="${num(x)},${num(y)}" z_order="0"></points>`;
}
