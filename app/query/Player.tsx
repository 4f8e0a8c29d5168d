"use client";
// Konva player for query results: the exact frame from the frames API, each object's mask (COCO RLE decoded into an
// offscreen canvas, tinted by object) and its interpolated point (lib/tracks interpolateTrack), coloured by object id.
import { useEffect, useMemo, useRef, useState } from "react";
import { Circle, Image as KonvaImage, Layer, Stage, Text } from "react-konva";
import { decodeRle } from "../../lib/masks/rle";
import { interpolateTrack, type TrackPoint, type TrackSet } from "../../lib/tracks";

export type MaskMap = Record<string, Record<string, { size: [number, number]; counts: string }>>;

const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324"];
export const colourFor = (index: number) => PALETTE[index % PALETTE.length]!;

function hexRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** All objects' masks on one frame painted into one offscreen canvas (native resolution). */
function maskCanvas(masks: MaskMap, objectIds: string[], frame: number): HTMLCanvasElement | null {
  const layers = objectIds.map((id, i) => ({ rle: masks[id]?.[String(frame)], colour: hexRgb(colourFor(i)) })).filter((l) => l.rle);
  if (!layers.length) return null;
  const [h, w] = layers[0]!.rle!.size;
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(w, h);
  for (const l of layers) {
    const bin = decodeRle(l.rle!);
    for (let i = 0; i < bin.length; i++) {
      if (!bin[i]) continue;
      const o = i * 4;
      img.data[o] = l.colour[0];
      img.data[o + 1] = l.colour[1];
      img.data[o + 2] = l.colour[2];
      img.data[o + 3] = 110;
    }
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

export function Player({ videoId, tracks, masks, width }: { videoId: number; tracks: TrackSet; masks: MaskMap; width: number }) {
  const { video } = tracks;
  const scale = width / video.width;
  const height = Math.round(video.height * scale);
  const [frame, setFrame] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [image, setImage] = useState<HTMLImageElement | null>(null);
  const [frameError, setFrameError] = useState<string | null>(null);
  const cache = useRef(new Map<number, HTMLImageElement>());

  useEffect(() => {
    cache.current.clear();
    setFrame(0);
  }, [videoId]);

  useEffect(() => {
    const hit = cache.current.get(frame);
    if (hit) {
      setImage(hit);
      return;
    }
    let live = true;
    const img = new window.Image();
    img.onload = () => {
      cache.current.set(frame, img);
      if (live) {
        setImage(img);
        setFrameError(null);
      }
    };
    img.onerror = () => live && setFrameError(`frame ${frame} could not be loaded`);
    img.src = `/api/videos/${videoId}/frames?frame=${frame}`;
    return () => {
      live = false;
    };
  }, [videoId, frame]);

  useEffect(() => {
    if (!playing) return;
    const t = setInterval(() => setFrame((f) => (f + 1 >= video.frameCount ? 0 : f + 1)), 1000 / Math.min(video.fps || 10, 15));
    return () => clearInterval(t);
  }, [playing, video.frameCount, video.fps]);

  // Dense tracks through the shared interpolation (the same function the annotator and the metrics use).
  const dense = useMemo(() => {
    const out: Array<(TrackPoint | null)[]> = [];
    for (const o of tracks.objects) {
      try {
        out.push(interpolateTrack(o.keyframes, { frameCount: video.frameCount, shotBoundaries: video.shotBoundaries }));
      } catch {
        out.push([]);
      }
    }
    return out;
  }, [tracks, video.frameCount, video.shotBoundaries]);
  const ids = useMemo(() => tracks.objects.map((o) => o.objectId), [tracks]);
  const overlay = useMemo(() => maskCanvas(masks, ids, frame), [masks, ids, frame]);

  return (
    <div>
      <div className="player" style={{ width, height }}>
        <Stage width={width} height={height}>
          <Layer listening={false}>
            {image && <KonvaImage image={image} width={width} height={height} />}
            {overlay && <KonvaImage image={overlay} width={width} height={height} />}
            {tracks.objects.map((o, i) => {
              const p = dense[i]?.[frame];
              if (!p || p.state === "outside") return null;
              return (
                <Circle key={o.objectId} x={p.x * scale} y={p.y * scale} radius={p.isKeyframe ? 7 : 5} fill={p.state === "occluded" ? undefined : colourFor(i)} stroke={p.state === "occluded" ? colourFor(i) : "#fff"} strokeWidth={2} />
              );
            })}
            {frameError && <Text x={10} y={10} text={frameError} fill="#fff" fontSize={14} />}
          </Layer>
        </Stage>
      </div>
      <div className="row" style={{ marginTop: "0.4rem" }}>
        <button type="button" onClick={() => setPlaying((p) => !p)}>{playing ? "Pause" : "Play"}</button>
        <input type="range" min={0} max={Math.max(0, video.frameCount - 1)} value={frame} onChange={(e) => setFrame(Number(e.target.value))} style={{ flex: 1 }} aria-label="frame" />
        <span className="muted">frame {frame} / {video.frameCount - 1}</span>
      </div>
    </div>
  );
}
