// Pan/zoom of the frame canvas: a uniform scale and an offset mapping image pixels to stage pixels
// (stage = image * scale + offset). Zoom keeps the image point under the cursor fixed.

export interface View {
  scale: number;
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 40;

/** The whole image centred in the stage, as large as fits. */
export function fitView(stage: Size, image: Size): View {
  const scale = Math.min(stage.width / image.width, stage.height / image.height);
  return { scale, x: (stage.width - image.width * scale) / 2, y: (stage.height - image.height * scale) / 2 };
}

/** Zoom by `factor` around the stage point `at`, clamped to [MIN_ZOOM, MAX_ZOOM] relative to nothing else. */
export function zoomAt(view: View, at: { x: number; y: number }, factor: number): View {
  const scale = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.scale * factor));
  const ix = (at.x - view.x) / view.scale;
  const iy = (at.y - view.y) / view.scale;
  return { scale, x: at.x - ix * scale, y: at.y - iy * scale };
}

/** Wheel delta (pixels) to a zoom factor: smooth, symmetric (in then out returns to the same scale). */
export function wheelFactor(deltaY: number): number {
  return Math.exp(-deltaY * 0.0015);
}

export function panBy(view: View, dx: number, dy: number): View {
  return { ...view, x: view.x + dx, y: view.y + dy };
}

export function stageToImage(view: View, p: { x: number; y: number }): { x: number; y: number } {
  return { x: (p.x - view.x) / view.scale, y: (p.y - view.y) / view.scale };
}

export function imageToStage(view: View, p: { x: number; y: number }): { x: number; y: number } {
  return { x: p.x * view.scale + view.x, y: p.y * view.scale + view.y };
}

/** Clamp an image point into the frame (the server refuses points outside it), kept to 1/1000 pixel. */
export function clampToImage(p: { x: number; y: number }, image: Size): { x: number; y: number } {
  const q = (v: number) => Math.round(v * 1000) / 1000;
  return { x: q(Math.min(image.width, Math.max(0, p.x))), y: q(Math.min(image.height, Math.max(0, p.y))) };
}
