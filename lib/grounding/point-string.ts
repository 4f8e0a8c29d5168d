// MolmoPoint output strings (olmo/models/molmo_point/molmo_point_data_formatter.py: get_point_string
// with include_point_number="no_space_id_last", location token, no-more-points terminator) and the HF
// `<POINT_k>` virtual-token form (olmo/hf_model/modeling_molmo_point.py: get_subpatch_ids).
import { LOCATION_TOKEN, N_LOCATIONS, NO_POINTS_LABEL, PATCH_TOKEN, SUBPATCH_TOKEN } from "./tokens";
import { decodeTarget, type PointingGrid, type PointTarget } from "./codec";

function checkIds(ids: readonly number[]): void {
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0) throw new Error(`ids[${i}] must be a non-negative integer, got ${id}`);
  });
}

/**
 * The `coords` body for `ids.length` points: `<|token_index|><|vit_index|><|vit_loc|>ID` per point,
 * then a bare `<|token_index|>` carrying the no-more-points target when `terminator`.
 */
export function formatPointTokens(ids: readonly number[], terminator = true): string {
  checkIds(ids);
  const one = PATCH_TOKEN + SUBPATCH_TOKEN + LOCATION_TOKEN;
  return ids.map((id) => one + String(id)).join("") + (terminator ? PATCH_TOKEN : "");
}

/**
 * Full MolmoPoint answer for pointing (`<points …>`) or tracking (`<tracks …>`). The closing tag is
 * `</point>` in the reference for both (sic). No points ⇒ "There are none.".
 */
export function formatPointAnswer(ids: readonly number[], label: string, kind: "points" | "tracks" = "points"): string {
  if (ids.length === 0) return "There are none.";
  return `<${kind} coords="${formatPointTokens(ids)}">${label}</point>`;
}

const EXTRACT_POINT_IDS = new RegExp(`(?:coords="|${LOCATION_TOKEN.replace(/[|]/g, "\\|")})([0-9]+)`, "g");

/** Point ids in a MolmoPoint answer, in order (`EXTRACT_POINT_IDS`). */
export function parsePointIds(text: string): number[] {
  return [...text.matchAll(EXTRACT_POINT_IDS)].map((m) => Number(m[1]));
}

/** Sizes of the HF virtual point vocabulary for one input (`GeneratedTokenBounds`). */
export interface HfPointBounds {
  /** Rows of `token_pooling` (all image tokens, incl. non-indexable). */
  nPatches: number;
  /** Columns of `token_pooling` (4 images, 9 video). */
  nSubpatches: number;
  noMorePointsClass: boolean;
}

/** Offsets (k of `<POINT_k>`) of the first subpatch and first location token. */
export function hfOffsets(b: HfPointBounds): { noMorePoints: number; subpatchStart: number; locationStart: number } {
  const patchEnd = b.nPatches + (b.noMorePointsClass ? 1 : 0);
  return { noMorePoints: b.noMorePointsClass ? b.nPatches : -1, subpatchStart: patchEnd, locationStart: patchEnd + b.nSubpatches };
}

/**
 * HF form: `<POINT_p><POINT_s><POINT_l>ID` per point (k offsets per {@link hfOffsets}), then the
 * no-more-points token `<POINT_nPatches>` when `terminator` and the class exists.
 */
export function formatHfPoints(targets: readonly PointTarget[], ids: readonly number[], b: HfPointBounds, terminator = true): string {
  if (targets.length !== ids.length) throw new Error(`${targets.length} targets but ${ids.length} ids`);
  checkIds(ids);
  const o = hfOffsets(b);
  let s = "";
  targets.forEach((t, i) => {
    if (t.patch < 0 || t.patch >= b.nPatches) throw new Error(`targets[${i}].patch ${t.patch} outside [0, ${b.nPatches})`);
    if (t.subpatch < 0 || t.subpatch >= b.nSubpatches) throw new Error(`targets[${i}].subpatch ${t.subpatch} outside [0, ${b.nSubpatches})`);
    if (t.location < 0 || t.location >= N_LOCATIONS) throw new Error(`targets[${i}].location ${t.location} outside [0, 9)`);
    s += `<POINT_${t.patch}><POINT_${o.subpatchStart + t.subpatch}><POINT_${o.locationStart + t.location}>${ids[i]}`;
  });
  if (terminator && b.noMorePointsClass) s += `<POINT_${o.noMorePoints}>`;
  return s;
}

const EXTRACT_POINT_TRIPLE = /<POINT_(\d+)> ?<POINT_(\d+)> ?<POINT_(\d+)> ?([0-9]+)/g;

/**
 * Parses HF output text into targets and ids (`EXTRACT_POINT_TRIPLE` + `get_subpatch_ids`). Triples
 * whose numbers fall outside the patch/subpatch/location ranges are reported as errors.
 */
export function parseHfPoints(text: string, b: HfPointBounds): { targets: PointTarget[]; ids: number[] } {
  const o = hfOffsets(b);
  const targets: PointTarget[] = [];
  const ids: number[] = [];
  for (const m of text.matchAll(EXTRACT_POINT_TRIPLE)) {
    const patch = Number(m[1]);
    const subpatch = Number(m[2]) - o.subpatchStart;
    const location = Number(m[3]) - o.locationStart;
    if (patch >= b.nPatches || subpatch < 0 || subpatch >= b.nSubpatches || location < 0 || location >= N_LOCATIONS) {
      throw new Error(`invalid point triple '${m[0]}' at offset ${m.index} for ${b.nPatches} patches × ${b.nSubpatches} subpatches`);
    }
    targets.push({ patch, subpatch, location });
    ids.push(Number(m[4]));
  }
  return { targets, ids };
}

/** Pairs decoded targets with the ids parsed from the text (terminator dropped). */
export function pairTargetsWithIds(targets: readonly PointTarget[], ids: readonly number[]): { target: PointTarget; id: number }[] {
  const real = targets.filter((t) => t.patch !== NO_POINTS_LABEL);
  return real.slice(0, ids.length).map((target, i) => ({ target, id: ids[i] }));
}

/**
 * `token_ids_to_coordinates` with the answer text: decoded points prefixed by the ids parsed from the
 * text, `[id, x, y]` (image) or `[id, t, x, y]` (video). Targets that do not decode are skipped, and
 * ids are zipped in order, so a truncated answer (one id short) keeps its complete points.
 */
export function decodePointsWithIds(grid: PointingGrid, targets: readonly PointTarget[], text: string): number[][] {
  const points: number[][] = [];
  for (const t of targets) {
    const p = decodeTarget(grid, t);
    if (p) points.push(p);
  }
  const ids = parsePointIds(text);
  return points.slice(0, ids.length).map((p, i) => [ids[i], ...p]);
}
