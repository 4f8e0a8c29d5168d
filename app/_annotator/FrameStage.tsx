"use client";
// The frame canvas (Konva): the video frame under the pan/zoom view, other objects' points (one Shape drawn in
// a single pass, not one node per point), and the draggable target point. Non-interactive layers don't listen.
import { useLayoutEffect, useRef, type MutableRefObject } from "react";
import type Konva from "konva";
import { Circle, Group, Image as KImage, Layer, Shape, Stage } from "react-konva";
import type { ContextFrame } from "../../lib/annotator/context";
import { panBy, stageToImage, wheelFactor, zoomAt, type Size, type View } from "../../lib/annotator/viewport";
import type { TrackPoint } from "../../lib/tracks";

export interface FrameStageProps {
  size: Size;
  imageSize: Size;
  image: ImageBitmap | undefined;
  /** The frame whose image is `image` (for the painted-frame signal). */
  imageFrame: number;
  view: View;
  onView: (v: View) => void;
  context: ContextFrame | null;
  target: TrackPoint | null;
  /** The user's stashed (not yet re-applied) position on this frame, drawn dashed. */
  ghost: { x: number; y: number } | null;
  editable: boolean;
  spaceHeld: MutableRefObject<boolean>;
  onPanned: () => void;
  onPlace: (p: { x: number; y: number }) => void;
  onDrag: (p: { x: number; y: number }, done: boolean) => void;
  onPainted: (frame: number) => void;
}

const TARGET_FILL: Record<TrackPoint["state"], string> = { visible: "#ff3b30", occluded: "rgba(255,59,48,0.15)", outside: "transparent" };

export function FrameStage(p: FrameStageProps) {
  const stageRef = useRef<Konva.Stage>(null);
  const pan = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const suppressClick = useRef(false);
  const viewRef = useRef(p.view);
  viewRef.current = p.view;
  const contextRef = useRef(p.context);
  contextRef.current = p.context;

  // Paint synchronously when the frame image changes, then signal on the next animation frame (what the user sees).
  useLayoutEffect(() => {
    const stage = stageRef.current;
    if (!stage || !p.image) return;
    stage.draw();
    const frame = p.imageFrame;
    const id = requestAnimationFrame(() => p.onPainted(frame));
    return () => cancelAnimationFrame(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [p.image, p.imageFrame]);

  const pointer = () => stageRef.current?.getPointerPosition() ?? null;
  const smooth = p.view.scale < 2;
  const t = p.target;
  const drawn = t && t.state !== "outside";
  const tx = t ? t.x * p.view.scale + p.view.x : 0;
  const ty = t ? t.y * p.view.scale + p.view.y : 0;

  return (
    <Stage
      ref={stageRef}
      width={p.size.width}
      height={p.size.height}
      onWheel={(e) => {
        e.evt.preventDefault();
        const at = pointer();
        if (at) p.onView(zoomAt(viewRef.current, at, wheelFactor(e.evt.deltaY)));
      }}
      onMouseDown={(e) => {
        if (e.evt.button === 1 || (e.evt.button === 0 && p.spaceHeld.current)) {
          e.evt.preventDefault();
          pan.current = { x: e.evt.clientX, y: e.evt.clientY, moved: false };
        }
      }}
      onMouseMove={(e) => {
        const pn = pan.current;
        if (!pn) return;
        const dx = e.evt.clientX - pn.x;
        const dy = e.evt.clientY - pn.y;
        if (dx || dy) {
          pn.moved = true;
          pn.x = e.evt.clientX;
          pn.y = e.evt.clientY;
          p.onView(panBy(viewRef.current, dx, dy));
        }
      }}
      onMouseUp={() => {
        if (pan.current?.moved) {
          suppressClick.current = true;
          p.onPanned();
        }
        pan.current = null;
      }}
      onClick={(e) => {
        if (suppressClick.current) {
          suppressClick.current = false;
          return;
        }
        if (e.evt.button !== 0 || p.spaceHeld.current || !p.editable) return;
        if (e.target.name() === "target") return;
        const at = pointer();
        if (at) p.onPlace(stageToImage(viewRef.current, at));
      }}
    >
      <Layer listening={false} imageSmoothingEnabled={smooth}>
        <Group x={p.view.x} y={p.view.y} scaleX={p.view.scale} scaleY={p.view.scale}>
          {p.image && <KImage image={p.image} width={p.imageSize.width} height={p.imageSize.height} />}
        </Group>
      </Layer>
      <Layer listening={false}>
        <Shape
          sceneFunc={(kctx) => {
            const c = contextRef.current;
            if (!c || c.count === 0) return;
            const ctx = kctx._context;
            const v = viewRef.current;
            ctx.save();
            ctx.lineWidth = 1.5;
            ctx.strokeStyle = "rgba(20,20,20,0.7)";
            ctx.fillStyle = "rgba(88,166,255,0.55)";
            ctx.beginPath();
            for (let i = 0; i < c.count; i++) {
              if (c.occluded[i]) continue;
              const x = c.xs[i] * v.scale + v.x;
              const y = c.ys[i] * v.scale + v.y;
              ctx.moveTo(x + 4, y);
              ctx.arc(x, y, 4, 0, Math.PI * 2);
            }
            ctx.fill();
            ctx.stroke();
            ctx.setLineDash([2, 2]);
            ctx.strokeStyle = "rgba(88,166,255,0.8)";
            ctx.beginPath();
            for (let i = 0; i < c.count; i++) {
              if (!c.occluded[i]) continue;
              const x = c.xs[i] * v.scale + v.x;
              const y = c.ys[i] * v.scale + v.y;
              ctx.moveTo(x + 4, y);
              ctx.arc(x, y, 4, 0, Math.PI * 2);
            }
            ctx.stroke();
            ctx.setLineDash([]);
            ctx.font = "10px system-ui, sans-serif";
            ctx.fillStyle = "rgba(255,255,255,0.75)";
            ctx.strokeStyle = "rgba(0,0,0,0.55)";
            ctx.lineWidth = 2.5;
            for (let i = 0; i < c.count; i++) {
              const x = c.xs[i] * v.scale + v.x + 6;
              const y = c.ys[i] * v.scale + v.y - 5;
              ctx.strokeText(c.labels[i], x, y);
              ctx.fillText(c.labels[i], x, y);
            }
            ctx.restore();
          }}
        />
      </Layer>
      <Layer listening={p.editable}>
        {p.ghost && (
          <Circle listening={false} x={p.ghost.x * p.view.scale + p.view.x} y={p.ghost.y * p.view.scale + p.view.y} radius={10} stroke="#fb8500" strokeWidth={2} dash={[5, 4]} />
        )}
        {t && drawn && (
          <Group
            name="target"
            x={tx}
            y={ty}
            draggable={p.editable}
            onDragMove={(e) => p.onDrag(stageToImage(viewRef.current, e.target.position()), false)}
            onDragEnd={(e) => p.onDrag(stageToImage(viewRef.current, e.target.position()), true)}
            onMouseEnter={(e) => { const s = e.target.getStage(); if (s && p.editable) s.container().style.cursor = "move"; }}
            onMouseLeave={(e) => { const s = e.target.getStage(); if (s) s.container().style.cursor = "crosshair"; }}
          >
            <Circle name="target" radius={t.isKeyframe ? 10 : 8} stroke="#fff" strokeWidth={t.isKeyframe ? 3 : 2} dash={t.state === "occluded" ? [4, 3] : undefined} fill={TARGET_FILL[t.state]} shadowColor="#000" shadowBlur={4} shadowOpacity={0.6} />
            <Circle name="target" radius={2} fill={t.state === "occluded" ? "#ff3b30" : "#fff"} />
          </Group>
        )}
      </Layer>
    </Stage>
  );
}
