// The per-sequence input every TrackEval-style metric consumes (TrackEval's preprocessed `data` dict).

/**
 * The non-zero similarity entries of every frame: frame t's entries are `start[t]` .. `start[t + 1] - 1`, in row-major
 * order (ascending GT row, then tracker column). Every metric only ever uses non-zero similarities at its thresholds,
 * so this is all it needs, and MOT-size sequences (mostly non-overlapping boxes) never build G x H matrices.
 */
export interface SparseSimilarity {
  start: Int32Array;
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
}

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
  /**
   * Per frame: row-major similarity matrix, gtIds[t].length x trackerIds[t].length, values in [0, 1].
   * Either this or `sparseSimilarity` must be given (see `sparseSimilarityOf`).
   */
  similarity?: Float64Array[];
  /** The same values, non-zero entries only (what the MOT loader produces). */
  sparseSimilarity?: SparseSimilarity;
}
