// Referring queries over groups of ≥2 objects, computed from the ground truth: attributes from the scene,
// motion direction from the rendered track (net image displacement between first and last in-frame frames).
import type { ColourName } from "../../lib/video/synthetic";
import type { InstanceObservation } from "./render";
import type { SizeClass } from "./scene";
import { pluralOf, type SynthCategory } from "./shapes";

export type Direction = "left" | "right" | "up" | "down";

export interface QueryObject {
  id: number;
  category: SynthCategory;
  colour: ColourName;
  sizeClass: SizeClass;
  /** Dominant motion direction in the image, or null (still, diagonal, or too short a track). */
  direction: Direction | null;
}

export interface ReferringQuery {
  expression: string;
  /** Sorted ids of every object the expression refers to (always ≥ 2). */
  objectIds: number[];
}

/** A direction counts when one axis dominates (≥ 2× the other) and the move spans ≥ 10 % of min(width, height). */
export function motionDirection(track: readonly InstanceObservation[], width: number, height: number): Direction | null {
  const inFrame = track.filter((o) => o.state !== "outside");
  if (inFrame.length < 2) return null;
  const a = inFrame[0];
  const b = inFrame[inFrame.length - 1];
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  if (Math.max(Math.abs(dx), Math.abs(dy)) < 0.1 * Math.min(width, height)) return null;
  if (Math.abs(dx) >= 2 * Math.abs(dy)) return dx < 0 ? "left" : "right";
  if (Math.abs(dy) >= 2 * Math.abs(dx)) return dy < 0 ? "up" : "down";
  return null;
}

/** The attribute combinations a query may name; each yields "the <words>" when ≥ 2 objects match. */
interface Filter {
  colour?: ColourName;
  category?: SynthCategory;
  sizeClass?: SizeClass;
  direction?: Direction;
}

export function matches(o: QueryObject, f: Filter): boolean {
  return (
    (f.colour === undefined || o.colour === f.colour) &&
    (f.category === undefined || o.category === f.category) &&
    (f.sizeClass === undefined || o.sizeClass === f.sizeClass) &&
    (f.direction === undefined || o.direction === f.direction)
  );
}

export function phrase(f: Filter): string {
  const words = ["the"];
  if (f.sizeClass) words.push(f.sizeClass);
  if (f.colour) words.push(f.colour);
  words.push(f.category ? pluralOf(f.category) : "shapes");
  if (f.direction) words.push(`moving ${f.direction}`);
  return words.join(" ");
}

/**
 * Every query of the forms "the red circles", "the circles", "the blue shapes", "the large blue shapes",
 * "the small squares", "the squares moving left", "the red shapes moving up", "the shapes moving right" that
 * matches ≥ 2 objects. "the <colour> shapes" and "the shapes moving …" need ≥ 2 categories among the matches
 * (otherwise the category noun is the natural phrase). Distinct texts only, in a fixed order.
 */
export function referringQueries(objects: readonly QueryObject[]): ReferringQuery[] {
  const uniq = <T>(xs: T[]) => [...new Set(xs)].sort() as T[];
  const colours = uniq(objects.map((o) => o.colour));
  const categories = uniq(objects.map((o) => o.category));
  const sizes = uniq(objects.map((o) => o.sizeClass));
  const directions = uniq(objects.flatMap((o) => (o.direction ? [o.direction] : [])));
  const filters: Array<{ f: Filter; mixed: boolean }> = [];
  for (const colour of colours) for (const category of categories) filters.push({ f: { colour, category }, mixed: false });
  for (const category of categories) filters.push({ f: { category }, mixed: false });
  for (const colour of colours) filters.push({ f: { colour }, mixed: true });
  for (const sizeClass of sizes) for (const colour of colours) filters.push({ f: { sizeClass, colour }, mixed: true });
  for (const sizeClass of sizes) for (const category of categories) filters.push({ f: { sizeClass, category }, mixed: false });
  for (const direction of directions) {
    for (const category of categories) filters.push({ f: { category, direction }, mixed: false });
    for (const colour of colours) filters.push({ f: { colour, direction }, mixed: true });
    filters.push({ f: { direction }, mixed: true });
  }
  const out: ReferringQuery[] = [];
  const seen = new Set<string>();
  for (const { f, mixed } of filters) {
    const hit = objects.filter((o) => matches(o, f));
    if (hit.length < 2) continue;
    if (mixed && new Set(hit.map((o) => o.category)).size < 2) continue;
    const expression = phrase(f);
    if (seen.has(expression)) continue;
    seen.add(expression);
    out.push({ expression, objectIds: hit.map((o) => o.id).sort((a, b) => a - b) });
  }
  return out;
}
