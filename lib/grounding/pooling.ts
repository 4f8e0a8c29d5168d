// Pooling windows over a ViT patch-index grid (`arange_for_pooling` in
// olmo/preprocessing/preprocessor_utils.py).

/** A pooled index table: `rows` tokens × `cells` ViT patch ids (-1 = padding). */
export interface PoolingTable {
  /** Pooled grid height (tokens per column). */
  h: number;
  /** Pooled grid width (tokens per row). */
  w: number;
  /** pool_h × pool_w: ViT patches per token. */
  cells: number;
  /** Row-major `[h*w, cells]` ViT patch ids; -1 where the window hangs over the padding. */
  table: Int32Array;
}

/**
 * Groups an `[gridH, gridW]` patch-id grid into `poolH × poolW` windows. The grid is padded with -1
 * to a multiple of the pool size, `pad//2` before and `(pad+1)//2` after (27 → 28 for 2×2 puts the
 * padding row/column at the bottom/right). Cells inside a window are row-major (dh, dw).
 */
export function arangeForPooling(grid: Int32Array, gridH: number, gridW: number, poolH: number, poolW: number): PoolingTable {
  if (grid.length !== gridH * gridW) throw new Error(`grid has ${grid.length} entries, expected ${gridH}×${gridW}`);
  const hPad = poolH * Math.ceil(gridH / poolH) - gridH;
  const wPad = poolW * Math.ceil(gridW / poolW) - gridW;
  const top = hPad >> 1;
  const left = wPad >> 1;
  const h = (gridH + hPad) / poolH;
  const w = (gridW + wPad) / poolW;
  const cells = poolH * poolW;
  const table = new Int32Array(h * w * cells);
  let k = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      for (let dh = 0; dh < poolH; dh++) {
        const y = r * poolH + dh - top;
        for (let dw = 0; dw < poolW; dw++) {
          const x = c * poolW + dw - left;
          table[k++] = y >= 0 && y < gridH && x >= 0 && x < gridW ? grid[y * gridW + x] : -1;
        }
      }
    }
  }
  return { h, w, cells, table };
}
