// Synthetic scenes shared by the inference service tests (one definition, so their answers line up with the stub's).
import { generateSyntheticVideo } from "../../lib/video";

/** Two red squares crossing a 160×120, 20-frame, 10 fps video (seed 5): the query jobs' standard scene. */
export function twoRedSquaresVideo(file: string): ReturnType<typeof generateSyntheticVideo> {
  return generateSyntheticVideo(file, {
    width: 160, height: 120, frames: 20, fps: 10,
    objects: [
      { id: 1, category: "square", colour: "red", size: 12, path: [{ frame: 0, x: 30, y: 40 }, { frame: 19, x: 120, y: 80 }] },
      { id: 2, category: "square", colour: "red", size: 12, path: [{ frame: 0, x: 120, y: 30 }, { frame: 19, x: 40, y: 90 }] },
    ],
  }, 5);
}
