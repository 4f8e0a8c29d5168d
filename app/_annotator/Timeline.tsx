"use client";
// Timeline: cached-chunk buffer, the target's visibility bands, keyframes, shot boundaries, flagged frames,
// other users' positions and the playhead. Click or drag to seek.
import { useEffect, useRef, useState, type PointerEvent } from "react";
import type { Keyframe } from "../../lib/tracks";
import { frameToX, xToFrame, type BandState, type Run } from "../../lib/annotator/timeline";
import type { PresenceEntry } from "../_client/live";
import styles from "./annotator.module.css";

const BAND_COLOUR: Record<BandState, string> = { visible: "#2da44e", occluded: "#d4a72c", outside: "#8c959f", unknown: "transparent" };
const KEY_COLOUR: Record<Keyframe["state"], string> = { visible: "#116329", occluded: "#9a6700", outside: "#57606a" };

export interface TimelineProps {
  frameCount: number;
  frame: number;
  keyframes: readonly Keyframe[];
  bands: readonly Run<BandState>[];
  buffer: readonly Run<"cached">[];
  shotBoundaries: readonly number[];
  flagged: readonly number[];
  others: readonly PresenceEntry[];
  onSeek: (frame: number) => void;
}

export function Timeline(p: TimelineProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const dragging = useRef(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(100, el.clientWidth)));
    ro.observe(el);
    setWidth(Math.max(100, el.clientWidth));
    return () => ro.disconnect();
  }, []);
  const x = (f: number) => frameToX(f, p.frameCount, width);
  const w = (r: { start: number; end: number }) => Math.max(1, x(r.end + 1) - x(r.start));
  const seek = (e: PointerEvent<HTMLDivElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    p.onSeek(xToFrame(e.clientX - rect.left, p.frameCount, width));
  };
  const H = 58;
  return (
    <div
      ref={ref}
      className={styles.timeline}
      data-testid="timeline"
      onPointerDown={(e) => { dragging.current = true; e.currentTarget.setPointerCapture(e.pointerId); seek(e); }}
      onPointerMove={(e) => { if (dragging.current) seek(e); }}
      onPointerUp={() => { dragging.current = false; }}
    >
      <svg width={width} height={H} role="img" aria-label="timeline">
        <rect x={0} y={0} width={width} height={H} fill="#f6f8fa" />
        {/* buffer: frames already decoded in the browser */}
        {p.buffer.map((r) => <rect key={`b${r.start}`} x={x(r.start)} y={2} width={w(r)} height={5} fill="#9ecbff" data-buffer={`${r.start}-${r.end}`} />)}
        {/* visibility of the target along the video */}
        {p.bands.map((r) => r.state === "unknown" ? null : (
          <rect key={`v${r.start}`} x={x(r.start)} y={12} width={w(r)} height={16} fill={BAND_COLOUR[r.state]} opacity={r.state === "outside" ? 0.45 : 0.75} data-band={`${r.state}:${r.start}-${r.end}`} />
        ))}
        {p.shotBoundaries.map((b) => <line key={`s${b}`} x1={x(b)} x2={x(b)} y1={0} y2={H} stroke="#cf222e" strokeDasharray="3 3" data-shot={b} />)}
        {p.keyframes.map((k) => (
          <path key={`k${k.frame}`} d={`M ${x(k.frame) + 1} 32 l 5 6 l -5 6 l -5 -6 z`} fill={KEY_COLOUR[k.state]} stroke="#fff" strokeWidth={1} data-keyframe={k.frame} />
        ))}
        {p.flagged.map((f) => <path key={`f${f}`} d={`M ${x(f)} 46 l 4 -6 l 4 6 z`} fill="#cf222e" data-flag={f} />)}
        {p.others.map((o) => (
          <g key={o.socketId} transform={`translate(${x(o.frame)}, ${H - 2})`}>
            <path d="M 0 0 l 5 -7 l -10 0 z" fill="#8250df" />
            <title>{`${o.displayName} at frame ${o.frame}`}</title>
          </g>
        ))}
        <line x1={x(p.frame) + 0.5} x2={x(p.frame) + 0.5} y1={0} y2={H} stroke="#0969da" strokeWidth={2} />
      </svg>
    </div>
  );
}
