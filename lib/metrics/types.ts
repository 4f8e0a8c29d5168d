// The per-sequence input every TrackEval-style metric consumes (TrackEval's preprocessed `data` dict).

export interface TrackingSequence {
  /** Number of frames (timesteps). */
  numTimesteps: number;
  /** Ids relabelled to 0..numGtIds-1 / 0..numTrackerIds-1 (contiguous, sorted by original id). */
  numGtIds: number;
  numTrackerIds: number;
  numGtDets: number;
  numTrackerDets: number;
  /** Per frame: GT ids present (unique within the frame), in file order. */
  gtIds: Int32Array[];
  /** Per frame: tracker ids present (unique within the frame), in file order. */
  trackerIds: Int32Array[];
  /** Per frame: row-major similarity matrix, gtIds[t].length x trackerIds[t].length, values in [0, 1]. */
  similarity: Float64Array[];
}
