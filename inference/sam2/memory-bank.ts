// Which memories a tracked frame attends to, exactly as `SAM2Base._prepare_memory_conditioned_features`
// (facebookresearch/sam2, sam2/modeling/sam2_base.py) picks them at evaluation with the SAM2.1 video config:
// num_maskmem = 7, memory_temporal_stride_for_eval = 1, max_cond_frames_in_attn = -1 (every conditioning frame),
// max_obj_ptrs_in_encoder = 16, only_obj_ptrs_in_the_past_for_eval = true, use_signed_tpos_enc_to_obj_ptrs = true.

export const NUM_MASKMEM = 7;
export const MAX_OBJ_PTRS = 16;

export interface SpatialPick {
  frame: number;
  /** SAM2's t_pos: 0 for conditioning frames, 1..6 for recent frames (6 = the previous frame). */
  tPos: number;
  /** Row of `maskmem_tpos_enc` / `temporal_code` added to this memory's positional encoding: 7 - t_pos - 1. */
  tposRow: number;
}

export interface PointerPick {
  frame: number;
  /** Signed temporal offset fed to the pointer's sine encoding (before division by maxObjPtrs - 1). */
  offset: number;
}

export interface MemorySelection {
  spatial: SpatialPick[];
  pointers: PointerPick[];
  /** `min(num_frames, max_obj_ptrs_in_encoder) - 1`: the divisor SAM2 applies to pointer offsets. */
  tDiffMax: number;
}

/**
 * @param frame       the frame being tracked
 * @param reverse     tracking backwards in time
 * @param condFrames  the object's conditioning (prompted) frames
 * @param hasNonCond  whether a non-conditioning memory (tracked frame output) exists for a frame
 * @param numFrames   frames in the video
 */
export function selectMemories(frame: number, reverse: boolean, condFrames: readonly number[], hasNonCond: (f: number) => boolean, numFrames: number): MemorySelection {
  const cond = [...new Set(condFrames)].sort((a, b) => a - b);
  const isCond = new Set(cond);
  // max_cond_frames_in_attn = -1: every conditioning frame is "selected", none "unselected".
  const spatial: SpatialPick[] = cond.map((f) => ({ frame: f, tPos: 0, tposRow: NUM_MASKMEM - 1 }));
  for (let tPos = 1; tPos < NUM_MASKMEM; tPos++) {
    const tRel = NUM_MASKMEM - tPos; // how many frames before the current one
    const prev = reverse ? frame + tRel : frame - tRel;
    // non_cond_frame_outputs.get(prev) — a conditioning frame is never also a non-conditioning one here.
    if (!isCond.has(prev) && hasNonCond(prev)) spatial.push({ frame: prev, tPos, tposRow: NUM_MASKMEM - tPos - 1 });
  }
  const maxPtrs = Math.min(numFrames, MAX_OBJ_PTRS);
  const sign = reverse ? -1 : 1;
  const pointers: PointerPick[] = cond.filter((t) => (reverse ? t >= frame : t <= frame)).map((t) => ({ frame: t, offset: (frame - t) * sign }));
  for (let tDiff = 1; tDiff < maxPtrs; tDiff++) {
    const t = reverse ? frame + tDiff : frame - tDiff;
    if (t < 0 || t >= numFrames) break;
    if (!isCond.has(t) && hasNonCond(t)) pointers.push({ frame: t, offset: tDiff });
  }
  return { spatial, pointers, tDiffMax: maxPtrs - 1 };
}

/** Frames whose non-conditioning memory can still be picked when tracking `frame` (for pruning the store). */
export function memoryHorizon(): number {
  return MAX_OBJ_PTRS - 1;
}
