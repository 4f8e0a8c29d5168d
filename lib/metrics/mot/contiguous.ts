// Per-frame arrays of a parsed file are views lying back to back in one column array (see framesOf in ./textFile);
// copying such a list into kernel memory is then one copy instead of one per frame.

/** The one array the views span when they lie back to back in the same buffer (in order), else null. */
export function joinedView<A extends Int32Array | Float64Array>(views: readonly A[]): A | null {
  if (views.length === 0) return null;
  const first = views[0];
  const buffer = first.buffer;
  let end = first.byteOffset + first.byteLength;
  for (let t = 1; t < views.length; t++) {
    const v = views[t];
    if (v.buffer !== buffer || v.byteOffset !== end) return null;
    end += v.byteLength;
  }
  const n = (end - first.byteOffset) / first.BYTES_PER_ELEMENT;
  return (first instanceof Int32Array ? new Int32Array(buffer, first.byteOffset, n) : new Float64Array(buffer, first.byteOffset, n)) as A;
}
