// The MOT loader's per-element loops as WebAssembly (assembled from the WAT below by ./wat): the byte scanner of MOT
// text files, the bucketing of its rows by frame, and the box IoU of every frame of a sequence. They are exact ports
// of the JS they replace: the same IEEE double operations in the same order (wasm f64 min/max/div/trunc behave as
// Math.min/max, `/`, Math.trunc), so values are bit-identical. Memory: bytes 0..183 hold 10^0..10^22; everything
// else is scratch for one call.
import { joinedView } from "./contiguous";
import { assembleModule, type WatFunction } from "./wat";

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const SCRATCH = 256;

/** Skips spaces at $p (label prefix makes the block labels unique per use). */
const skipSpaces = (l: string) => `
  block $${l}
  loop $${l}l
    local.get $p local.get $end i32.ge_u br_if $${l}
    local.get $p i32.load8_u i32.const 32 i32.ne br_if $${l}
    local.get $p i32.const 1 i32.add local.set $p
    br $${l}l
  end
  end`;

/**
 * scan(bytes, len, numTimesteps, minCols, rows, lineOf, colsOf) -> row count, or -1 when the general path must
 * decide. Line for line the former JS fast path (see parseMotBytes): rows get 8 f64 (frame, id, x, y, w, h, conf,
 * class), lineOf the 1-based line number, colsOf the field count.
 */
const scan: WatFunction = {
  name: "scan",
  params: [["b", "i32"], ["len", "i32"], ["T", "i32"], ["minCols", "i32"], ["rows", "i32"], ["lineOf", "i32"], ["colsOf", "i32"]],
  result: "i32",
  locals: [
    ["p", "i32"], ["end", "i32"], ["q", "i32"], ["c", "i32"], ["d", "i32"], ["ln", "i32"], ["n", "i32"], ["o", "i32"], ["nf", "i32"],
    ["neg", "i32"], ["nd", "i32"], ["sig", "i32"], ["frac", "i32"], ["dot", "i32"], ["mant", "i64"], ["v", "f64"], ["x", "f64"],
  ],
  body: `
  local.get $b local.set $p
  local.get $b local.get $len i32.add local.set $end
  block $done
  loop $line
    local.get $p local.get $end i32.ge_u br_if $done
    local.get $ln i32.const 1 i32.add local.set $ln
    ;; blank line (spaces only; a CR right before the LF or the end belongs to the line ending)
    local.get $p local.set $q
    block $sq
    loop $sql
      local.get $q local.get $end i32.ge_u br_if $sq
      local.get $q i32.load8_u i32.const 32 i32.ne br_if $sq
      local.get $q i32.const 1 i32.add local.set $q
      br $sql
    end
    end
    block $notBlank
      local.get $q local.get $end i32.eq
      if local.get $end local.set $p br $line end
      local.get $q i32.load8_u local.tee $c i32.const 10 i32.eq
      if local.get $q i32.const 1 i32.add local.set $p br $line end
      local.get $c i32.const 13 i32.ne br_if $notBlank
      local.get $q i32.const 1 i32.add local.get $end i32.eq
      if local.get $q i32.const 2 i32.add local.set $p br $line end
      local.get $q i32.load8_u offset=1 i32.const 10 i32.ne br_if $notBlank
      local.get $q i32.const 2 i32.add local.set $p br $line
    end
    local.get $rows local.get $n i32.const 6 i32.shl i32.add local.set $o
    i32.const 0 local.set $nf
    block $lineDone
    loop $field
      ${skipSpaces("s1")}
      local.get $p local.get $end i32.lt_u
      if i32 local.get $p i32.load8_u else i32.const 10 end
      local.tee $c i32.const 10 i32.eq local.get $c i32.const 13 i32.eq i32.or
      if
        ;; line end right after a comma: one trailing empty field, dropped
        local.get $nf i32.eqz if i32.const -1 return end
        br $lineDone
      end
      i32.const 0 local.set $neg
      local.get $c i32.const 45 i32.eq local.get $c i32.const 43 i32.eq i32.or
      if
        local.get $c i32.const 45 i32.eq local.set $neg
        local.get $p i32.const 1 i32.add local.set $p
      end
      i64.const 0 local.set $mant
      i32.const 0 local.set $nd
      i32.const 0 local.set $sig
      i32.const 0 local.set $frac
      i32.const 0 local.set $dot
      block $numEnd
      loop $digit
        local.get $p local.get $end i32.ge_u br_if $numEnd
        local.get $p i32.load8_u local.tee $c i32.const 48 i32.sub local.tee $d i32.const 10 i32.lt_u
        if
          local.get $nd i32.const 1 i32.add local.set $nd
          local.get $mant i64.const 0 i64.ne local.get $c i32.const 48 i32.ne i32.or
          if local.get $sig i32.const 1 i32.add local.set $sig end
          ;; integer digits (exact while <= 15 significant digits; longer numbers are declined below anyway)
          local.get $mant i64.const 10 i64.mul local.get $d i64.extend_i32_u i64.add local.set $mant
          local.get $frac local.get $dot i32.add local.set $frac
        else
          local.get $c i32.const 46 i32.ne local.get $dot i32.or br_if $numEnd
          i32.const 1 local.set $dot
        end
        local.get $p i32.const 1 i32.add local.set $p
        br $digit
      end
      end
      local.get $nd i32.eqz local.get $sig i32.const 15 i32.gt_s i32.or local.get $frac i32.const 22 i32.gt_s i32.or
      local.get $nf i32.const 64 i32.eq i32.or
      if i32.const -1 return end
      ${skipSpaces("s2")}
      ;; digits / 10^frac: one correctly rounded division of exact doubles, = Number(field)
      local.get $frac
      if f64 local.get $mant f64.convert_i64_s local.get $frac i32.const 3 i32.shl f64.load f64.div else local.get $mant f64.convert_i64_s end
      local.set $v
      local.get $nf i32.const 8 i32.lt_s
      if
        local.get $o local.get $nf i32.const 3 i32.shl i32.add
        local.get $v f64.neg local.get $v local.get $neg select
        f64.store
      end
      local.get $nf i32.const 1 i32.add local.set $nf
      local.get $p local.get $end i32.lt_u
      if i32 local.get $p i32.load8_u else i32.const 10 end
      local.tee $c i32.const 44 i32.eq
      if local.get $p i32.const 1 i32.add local.set $p br $field end
      local.get $c i32.const 10 i32.eq local.get $c i32.const 13 i32.eq i32.or br_if $lineDone
      i32.const -1 return
    end
    end
    ;; line ending: LF, CRLF or end of file (a lone CR is not a line end)
    local.get $p local.get $end i32.lt_u
    if
      local.get $p i32.load8_u i32.const 13 i32.eq
      if
        local.get $p i32.const 1 i32.add local.get $end i32.lt_u
        if local.get $p i32.load8_u offset=1 i32.const 10 i32.ne if i32.const -1 return end end
        local.get $p i32.const 2 i32.add local.set $p
      else
        local.get $p i32.const 1 i32.add local.set $p
      end
    end
    local.get $nf local.get $minCols i32.lt_s if i32.const -1 return end
    local.get $o f64.load f64.trunc local.tee $x f64.const 1 f64.ge
    local.get $x local.get $T f64.convert_i32_s f64.le i32.and i32.eqz
    if i32.const -1 return end
    local.get $o local.get $x f64.store
    local.get $o f64.load offset=8 f64.trunc local.tee $x f64.abs f64.const 2147483647 f64.gt
    if i32.const -1 return end
    local.get $o local.get $x f64.store offset=8
    local.get $o
    local.get $o f64.load offset=56 f64.trunc f64.const 1 local.get $nf i32.const 8 i32.ge_s select
    f64.store offset=56
    local.get $lineOf local.get $n i32.const 2 i32.shl i32.add local.get $ln i32.store
    local.get $colsOf local.get $n i32.const 2 i32.shl i32.add local.get $nf i32.store
    local.get $n i32.const 1 i32.add local.set $n
    br $line
  end
  end
  local.get $n`,
};

/**
 * pair(pa, pb, out, k, i, j) -> k': the IoU of the GT box at byte address pa and the tracker box at pb, appended as
 * entry k (row i, column j) when non-zero. Arithmetic as TrackEval `_calculate_box_ious` ('xywh'): corners x + w,
 * areas from corners, eps guards.
 */
/**
 * Number of newline bytes in b .. b + len - 1, four bytes at a time: per word, x = w ^ 0x0a0a0a0a has a zero byte
 * exactly where w has a newline, and ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f) has the top bit of exactly
 * those bytes set (no carries between bytes), so its popcount is their number; the last len % 4 bytes one by one.
 */
const newlines: WatFunction = {
  name: "newlines",
  params: [["b", "i32"], ["len", "i32"]],
  result: "i32",
  locals: [["p", "i32"], ["end4", "i32"], ["n", "i32"], ["x", "i32"]],
  body: `
  local.get $b local.set $p
  local.get $b local.get $len i32.const -4 i32.and i32.add local.set $end4
  block $w loop $wl
    local.get $p local.get $end4 i32.ge_u br_if $w
    local.get $p i32.load i32.const 0x0a0a0a0a i32.xor local.set $x
    local.get $x i32.const 0x7f7f7f7f i32.and i32.const 0x7f7f7f7f i32.add
    local.get $x i32.or i32.const 0x7f7f7f7f i32.or i32.const -1 i32.xor
    i32.popcnt local.get $n i32.add local.set $n
    local.get $p i32.const 4 i32.add local.set $p
    br $wl
  end end
  block $t loop $tl
    local.get $p local.get $b local.get $len i32.add i32.ge_u br_if $t
    local.get $p i32.load8_u i32.const 10 i32.eq local.get $n i32.add local.set $n
    local.get $p i32.const 1 i32.add local.set $p
    br $tl
  end end
  local.get $n`,
};

const pair: WatFunction = {
  name: "pair",
  params: [["pa", "i32"], ["pb", "i32"], ["out", "i32"], ["k", "i32"], ["i", "i32"], ["j", "i32"]],
  result: "i32",
  exported: false,
  locals: [
    ["e", "i32"], ["ax0", "f64"], ["ax1", "f64"], ["ay0", "f64"], ["ay1", "f64"], ["bx0", "f64"], ["bx1", "f64"], ["by0", "f64"], ["by1", "f64"],
    ["iw", "f64"], ["ih", "f64"], ["areaA", "f64"], ["areaB", "f64"], ["inter", "f64"], ["union", "f64"], ["v", "f64"],
  ],
  body: `
  block $skip
    local.get $pa f64.load local.tee $ax0 local.get $pa f64.load offset=16 f64.add local.set $ax1
    local.get $pb f64.load local.tee $bx0 local.get $pb f64.load offset=16 f64.add local.set $bx1
    local.get $ax1 local.get $bx1 f64.min local.get $ax0 local.get $bx0 f64.max f64.sub local.tee $iw
    f64.const 0 f64.gt i32.eqz br_if $skip
    local.get $pa f64.load offset=8 local.tee $ay0 local.get $pa f64.load offset=24 f64.add local.set $ay1
    local.get $pb f64.load offset=8 local.tee $by0 local.get $pb f64.load offset=24 f64.add local.set $by1
    local.get $ay1 local.get $by1 f64.min local.get $ay0 local.get $by0 f64.max f64.sub local.tee $ih
    f64.const 0 f64.gt i32.eqz br_if $skip
    local.get $ax1 local.get $ax0 f64.sub local.get $ay1 local.get $ay0 f64.sub f64.mul local.set $areaA
    local.get $bx1 local.get $bx0 f64.sub local.get $by1 local.get $by0 f64.sub f64.mul local.set $areaB
    local.get $iw local.get $ih f64.mul local.set $inter
    local.get $areaA local.get $areaB f64.add local.get $inter f64.sub local.set $union
    local.get $areaA f64.const 2.220446049250313e-16 f64.le
    local.get $areaB f64.const 2.220446049250313e-16 f64.le i32.or
    local.get $union f64.const 2.220446049250313e-16 f64.le i32.or
    if f64.const 0 local.set $inter end
    local.get $union f64.const 2.220446049250313e-16 f64.le
    if f64.const 1 local.set $union end
    local.get $inter local.get $union f64.div local.tee $v f64.const 0 f64.eq br_if $skip
    local.get $out local.get $k i32.const 4 i32.shl i32.add local.tee $e local.get $i i32.store
    local.get $e local.get $j i32.store offset=4
    local.get $e local.get $v f64.store offset=8
    local.get $k i32.const 1 i32.add local.set $k
  end
  local.get $k`,
};

/**
 * ious(aBox, aStart, bBox, bStart, T, t0, out, cap, frameEnd, sc) -> frames done. For frames t0.. of a sequence
 * (boxes [x, y, w, h] f64, frame t's at start[t]..start[t+1]-1), appends every non-zero IoU as a 16-byte entry
 * (i32 row, i32 col, f64 value; row-major per frame) and sets frameEnd[t + 1]; stops before a frame whose G x H
 * pairs might not fit in `cap` entries (the caller grows memory and continues from there). `sc`: scratch for 2 x H
 * i32 and H f64.
 * Large frames (G x H > 256) only visit pairs whose x-ranges overlap, as `boxIouXywhNonZero` (../../similarity):
 * tracker boxes of positive width sorted by left edge (insertion sort, ties by index), for each GT box a binary
 * search for left edges > x0 - widest (with a margin for rounding) up to < x1, candidates put back in index order,
 * so entries and values are exactly those of the full double loop.
 */
const ious: WatFunction = {
  name: "ious",
  params: [["aBox", "i32"], ["aStart", "i32"], ["bBox", "i32"], ["bStart", "i32"], ["T", "i32"], ["t", "i32"], ["out", "i32"], ["cap", "i32"], ["frameEnd", "i32"], ["sc", "i32"]],
  result: "i32",
  locals: [
    ["k", "i32"], ["i", "i32"], ["i0", "i32"], ["i1", "i32"], ["j", "i32"], ["j0", "i32"], ["j1", "i32"], ["H", "i32"], ["pa", "i32"], ["e", "i32"],
    ["m", "i32"], ["q", "i32"], ["r", "i32"], ["jj", "i32"], ["l", "i32"], ["h", "i32"], ["mid", "i32"], ["nc", "i32"], ["order", "i32"], ["cand", "i32"], ["left", "i32"],
    ["ax0", "f64"], ["ax1", "f64"], ["w", "f64"], ["widest", "f64"], ["x", "f64"], ["lo", "f64"],
  ],
  body: `
  local.get $sc local.set $order
  local.get $frameEnd local.get $t i32.const 2 i32.shl i32.add i32.load local.set $k
  block $done
  loop $frame
    local.get $t local.get $T i32.ge_s br_if $done
    local.get $aStart local.get $t i32.const 2 i32.shl i32.add local.tee $e i32.load local.set $i0
    local.get $e i32.load offset=4 local.set $i1
    local.get $bStart local.get $t i32.const 2 i32.shl i32.add local.tee $e i32.load local.set $j0
    local.get $e i32.load offset=4 local.set $j1
    local.get $j1 local.get $j0 i32.sub local.set $H
    ;; room for every pair of the frame? (as f64: G x H may exceed i32)
    local.get $k f64.convert_i32_u
    local.get $i1 local.get $i0 i32.sub f64.convert_i32_u local.get $H f64.convert_i32_u f64.mul f64.add
    local.get $cap f64.convert_i32_u f64.gt br_if $done
    local.get $i1 local.get $i0 i32.sub f64.convert_i32_u local.get $H f64.convert_i32_u f64.mul f64.const 256 f64.le
    if
      ;; small frame: every pair
      local.get $i0 local.set $i
      block $rd loop $rl
        local.get $i local.get $i1 i32.ge_s br_if $rd
        local.get $j0 local.set $j
        block $cd loop $cl
          local.get $j local.get $j1 i32.ge_s br_if $cd
          local.get $aBox local.get $i i32.const 5 i32.shl i32.add
          local.get $bBox local.get $j i32.const 5 i32.shl i32.add
          local.get $out local.get $k local.get $i local.get $i0 i32.sub local.get $j local.get $j0 i32.sub call $pair local.set $k
          local.get $j i32.const 1 i32.add local.set $j
          br $cl
        end end
        local.get $i i32.const 1 i32.add local.set $i
        br $rl
      end end
    else
      ;; scratch: order (H i32), cand (H i32), left (H f64, 8-aligned)
      local.get $order local.get $H i32.const 2 i32.shl i32.add local.set $cand
      local.get $cand local.get $H i32.const 2 i32.shl i32.add i32.const 7 i32.add i32.const -8 i32.and local.set $left
      i32.const 0 local.set $m
      f64.const 0 local.set $widest
      i32.const 0 local.set $q
      block $wd loop $wl
        local.get $q local.get $H i32.ge_s br_if $wd
        local.get $bBox local.get $j0 local.get $q i32.add i32.const 5 i32.shl i32.add f64.load offset=16 local.tee $w f64.const 0 f64.gt
        if
          local.get $order local.get $m i32.const 2 i32.shl i32.add local.get $q i32.store
          local.get $m i32.const 1 i32.add local.set $m
          local.get $w local.get $widest f64.gt if local.get $w local.set $widest end
        end
        local.get $q i32.const 1 i32.add local.set $q
        br $wl
      end end
      ;; insertion sort of order[0..m) by left edge (stable)
      i32.const 1 local.set $q
      block $sd loop $sl
        local.get $q local.get $m i32.ge_s br_if $sd
        local.get $order local.get $q i32.const 2 i32.shl i32.add i32.load local.set $jj
        local.get $bBox local.get $j0 local.get $jj i32.add i32.const 5 i32.shl i32.add f64.load local.set $x
        local.get $q i32.const 1 i32.sub local.set $r
        block $id loop $il
          local.get $r i32.const 0 i32.lt_s br_if $id
          local.get $bBox local.get $j0 local.get $order local.get $r i32.const 2 i32.shl i32.add i32.load i32.add i32.const 5 i32.shl i32.add f64.load
          local.get $x f64.gt i32.eqz br_if $id
          local.get $order local.get $r i32.const 2 i32.shl i32.add local.tee $e
          local.get $e i32.load i32.store offset=4
          local.get $r i32.const 1 i32.sub local.set $r
          br $il
        end end
        local.get $order local.get $r i32.const 2 i32.shl i32.add local.get $jj i32.store offset=4
        local.get $q i32.const 1 i32.add local.set $q
        br $sl
      end end
      i32.const 0 local.set $q
      block $ld loop $ll
        local.get $q local.get $m i32.ge_s br_if $ld
        local.get $left local.get $q i32.const 3 i32.shl i32.add
        local.get $bBox local.get $j0 local.get $order local.get $q i32.const 2 i32.shl i32.add i32.load i32.add i32.const 5 i32.shl i32.add f64.load
        f64.store
        local.get $q i32.const 1 i32.add local.set $q
        br $ll
      end end
      local.get $i0 local.set $i
      block $rd2 loop $rl2
        local.get $i local.get $i1 i32.ge_s br_if $rd2
        block $nextRow
          local.get $aBox local.get $i i32.const 5 i32.shl i32.add local.tee $pa f64.load local.tee $ax0
          local.get $pa f64.load offset=16 f64.add local.tee $ax1 local.get $ax0 f64.gt i32.eqz br_if $nextRow
          ;; first sorted box with left edge > ax0 - widest - margin
          local.get $ax0 local.get $widest f64.sub
          f64.const 1e-6 f64.const 1 local.get $ax0 f64.abs f64.add local.get $widest f64.add f64.mul f64.sub local.set $lo
          i32.const 0 local.set $l
          local.get $m local.set $h
          block $bd loop $bl
            local.get $l local.get $h i32.ge_s br_if $bd
            local.get $l local.get $h i32.add i32.const 1 i32.shr_s local.set $mid
            local.get $left local.get $mid i32.const 3 i32.shl i32.add f64.load local.get $lo f64.gt
            if local.get $mid local.set $h else local.get $mid i32.const 1 i32.add local.set $l end
            br $bl
          end end
          i32.const 0 local.set $nc
          local.get $l local.set $q
          block $gd loop $gl
            local.get $q local.get $m i32.ge_s br_if $gd
            local.get $left local.get $q i32.const 3 i32.shl i32.add f64.load local.get $ax1 f64.lt i32.eqz br_if $gd
            local.get $cand local.get $nc i32.const 2 i32.shl i32.add local.get $order local.get $q i32.const 2 i32.shl i32.add i32.load i32.store
            local.get $nc i32.const 1 i32.add local.set $nc
            local.get $q i32.const 1 i32.add local.set $q
            br $gl
          end end
          ;; candidates back in index order (insertion sort)
          i32.const 1 local.set $q
          block $cs loop $csl
            local.get $q local.get $nc i32.ge_s br_if $cs
            local.get $cand local.get $q i32.const 2 i32.shl i32.add i32.load local.set $jj
            local.get $q i32.const 1 i32.sub local.set $r
            block $ci loop $cil
              local.get $r i32.const 0 i32.lt_s br_if $ci
              local.get $cand local.get $r i32.const 2 i32.shl i32.add local.tee $e i32.load local.get $jj i32.gt_s i32.eqz br_if $ci
              local.get $e local.get $e i32.load i32.store offset=4
              local.get $r i32.const 1 i32.sub local.set $r
              br $cil
            end end
            local.get $cand local.get $r i32.const 2 i32.shl i32.add local.get $jj i32.store offset=4
            local.get $q i32.const 1 i32.add local.set $q
            br $csl
          end end
          i32.const 0 local.set $q
          block $pd loop $pl
            local.get $q local.get $nc i32.ge_s br_if $pd
            local.get $pa
            local.get $bBox local.get $j0 local.get $cand local.get $q i32.const 2 i32.shl i32.add i32.load local.tee $jj i32.add i32.const 5 i32.shl i32.add
            local.get $out local.get $k local.get $i local.get $i0 i32.sub local.get $jj call $pair local.set $k
            local.get $q i32.const 1 i32.add local.set $q
            br $pl
          end end
        end
        local.get $i i32.const 1 i32.add local.set $i
        br $rl2
      end end
    end
    local.get $t i32.const 1 i32.add local.set $t
    local.get $frameEnd local.get $t i32.const 2 i32.shl i32.add local.get $k i32.store
    br $frame
  end
  end
  local.get $t`,
};

/**
 * bucket(rows, lineOf, colsOf, n, T, isGt, ends, firstCols, ids, boxes, classes, conf, lines) -> -1, or the index
 * of the first row whose field count differs from the first row of its frame. Counting sort of the scanned rows by
 * frame, file order kept within a frame, into columns; afterwards frame t (0-based) is ends[t] .. ends[t + 1] - 1.
 * Conversions as the typed-array stores of the JS form: ids and classes ToInt32 (classes wrap modulo 2^32), GT conf
 * truncated.
 */
const bucket: WatFunction = {
  name: "bucket",
  params: [
    ["rows", "i32"], ["lineOf", "i32"], ["colsOf", "i32"], ["n", "i32"], ["T", "i32"], ["isGt", "i32"], ["ends", "i32"], ["firstCols", "i32"],
    ["ids", "i32"], ["boxes", "i32"], ["classes", "i32"], ["conf", "i32"], ["lines", "i32"],
  ],
  result: "i32",
  locals: [["k", "i32"], ["o", "i32"], ["p", "i32"], ["at", "i32"], ["c", "i32"], ["i", "i32"], ["b", "i32"], ["x", "f64"]],
  body: `
  ;; ends[f] := number of rows of frame f, f = 1..T
  block $z loop $zl
    local.get $k local.get $T i32.const 1 i32.add i32.gt_s br_if $z
    local.get $ends local.get $k i32.const 2 i32.shl i32.add i32.const 0 i32.store
    local.get $firstCols local.get $k i32.const 2 i32.shl i32.add i32.const 0 i32.store
    local.get $k i32.const 1 i32.add local.set $k
    br $zl
  end end
  i32.const 0 local.set $k
  block $c1 loop $c1l
    local.get $k local.get $n i32.ge_s br_if $c1
    local.get $ends local.get $rows local.get $k i32.const 6 i32.shl i32.add f64.load i32.trunc_f64_s i32.const 2 i32.shl i32.add local.tee $p
    local.get $p i32.load i32.const 1 i32.add i32.store
    local.get $k i32.const 1 i32.add local.set $k
    br $c1l
  end end
  ;; ends[f] := first slot of frame f (prefix sums); the fill below advances it to the frame's end
  i32.const 1 local.set $k
  block $c2 loop $c2l
    local.get $k local.get $T i32.gt_s br_if $c2
    local.get $ends local.get $k i32.const 2 i32.shl i32.add local.tee $p i32.load local.set $c
    local.get $p local.get $at i32.store
    local.get $at local.get $c i32.add local.set $at
    local.get $k i32.const 1 i32.add local.set $k
    br $c2l
  end end
  i32.const 0 local.set $k
  block $c3 loop $c3l
    local.get $k local.get $n i32.ge_s br_if $c3
    local.get $rows local.get $k i32.const 6 i32.shl i32.add local.set $o
    local.get $o f64.load i32.trunc_f64_s i32.const 2 i32.shl local.set $b
    ;; one field count per frame (numpy needs one per frame's rows)
    local.get $colsOf local.get $k i32.const 2 i32.shl i32.add i32.load local.set $c
    local.get $firstCols local.get $b i32.add local.tee $p i32.load local.tee $i
    if
      local.get $i local.get $c i32.ne if local.get $k return end
    else
      local.get $p local.get $c i32.store
    end
    local.get $ends local.get $b i32.add local.tee $p i32.load local.set $i
    local.get $p local.get $i i32.const 1 i32.add i32.store
    local.get $ids local.get $i i32.const 2 i32.shl i32.add local.get $o f64.load offset=8 i32.trunc_f64_s i32.store
    local.get $boxes local.get $i i32.const 5 i32.shl i32.add local.tee $p local.get $o f64.load offset=16 f64.store
    local.get $p local.get $o f64.load offset=24 f64.store offset=8
    local.get $p local.get $o f64.load offset=32 f64.store offset=16
    local.get $p local.get $o f64.load offset=40 f64.store offset=24
    local.get $conf local.get $i i32.const 3 i32.shl i32.add
    local.get $o f64.load offset=48 local.tee $x f64.trunc local.get $x local.get $isGt select f64.store
    local.get $classes local.get $i i32.const 2 i32.shl i32.add local.get $o f64.load offset=56 i64.trunc_f64_s i32.wrap_i64 i32.store
    local.get $lines local.get $i i32.const 2 i32.shl i32.add local.get $lineOf local.get $k i32.const 2 i32.shl i32.add i32.load i32.store
    local.get $k i32.const 1 i32.add local.set $k
    br $c3l
  end end
  i32.const -1`,
};

interface KernelExports {
  memory: WebAssembly.Memory;
  scan(b: number, len: number, T: number, minCols: number, rows: number, lineOf: number, colsOf: number): number;
  ious(aBox: number, aStart: number, bBox: number, bStart: number, T: number, t: number, out: number, cap: number, frameEnd: number, sc: number): number;
  newlines(b: number, len: number): number;
  bucket(rows: number, lineOf: number, colsOf: number, n: number, T: number, isGt: number, ends: number, firstCols: number, ids: number, boxes: number, classes: number, conf: number, lines: number): number;
}

let kernels: KernelExports | null = null;

function instance(): KernelExports {
  if (!kernels) {
    const module = new WebAssembly.Module(assembleModule([scan, ious, bucket, pair, newlines], 16));
    kernels = new WebAssembly.Instance(module).exports as unknown as KernelExports;
    new Float64Array(kernels.memory.buffer, 0, POW10.length).set(POW10);
  }
  return kernels;
}

/** Grows the memory to at least `bytes` (views taken before are invalid afterwards). */
function reserve(k: KernelExports, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
}

const align8 = (x: number) => (x + 7) & ~7;

/** Number of newline bytes of `bytes`, counted by the kernel as `scanMotColumns` does (exported for tests). */
export function newlineCount(bytes: Uint8Array): number {
  const k = instance();
  reserve(k, SCRATCH + bytes.length);
  new Uint8Array(k.memory.buffer, SCRATCH, bytes.length).set(bytes);
  return k.newlines(SCRATCH, bytes.length);
}

/** A MOT text file's detections in frame order (file order within a frame), one array per column. */
export interface MotColumns {
  /** Frame t (0-based) holds detections ends[t] .. ends[t + 1] - 1 (ends[0] = 0). */
  ends: Int32Array;
  ids: Int32Array;
  /** [x, y, w, h] per detection. */
  boxes: Float64Array;
  classes: Int32Array;
  conf: Float64Array;
  lines: Int32Array;
}

/** A row whose field count differs from the first row of its frame (1-based lines, as in MotInputError messages). */
export interface FieldCountMismatch {
  line: number;
  fields: number;
  firstLine: number;
  firstFields: number;
}

/**
 * Runs the byte scanner and the frame bucketing on a whole file: null when some line is not of the plain form (see
 * parseMotBytes), a FieldCountMismatch for the first row whose field count differs within its frame, else columns.
 */
export function scanMotColumns(bytes: Uint8Array, numTimesteps: number, isGt: boolean): MotColumns | FieldCountMismatch | null {
  const k = instance();
  const len = bytes.length;
  reserve(k, SCRATCH + len);
  new Uint8Array(k.memory.buffer, SCRATCH, len).set(bytes);
  // Rows <= lines (newlines + 1, counted in the kernel: one JS call per newline would cost more than the scan).
  const cap = k.newlines(SCRATCH, len) + 1;
  const T = numTimesteps;
  const rowsAt = align8(SCRATCH + len);
  const linesAt = rowsAt + 64 * cap;
  const colsAt = linesAt + 4 * cap;
  const endsAt = colsAt + 4 * cap;
  const firstAt = endsAt + 4 * (T + 2);
  const boxesAt = align8(firstAt + 4 * (T + 2));
  const confAt = boxesAt + 32 * cap;
  const idsAt = confAt + 8 * cap;
  const classesAt = idsAt + 4 * cap;
  const outLinesAt = classesAt + 4 * cap;
  reserve(k, outLinesAt + 4 * cap);
  const n = k.scan(SCRATCH, len, T, isGt ? 8 : 7, rowsAt, linesAt, colsAt);
  if (n < 0) return null;
  const bad = k.bucket(rowsAt, linesAt, colsAt, n, T, isGt ? 1 : 0, endsAt, firstAt, idsAt, boxesAt, classesAt, confAt, outLinesAt);
  const buf = k.memory.buffer;
  if (bad >= 0) {
    const rows = new Float64Array(buf, rowsAt, 8 * n);
    const lineOf = new Int32Array(buf, linesAt, n);
    const colsOf = new Int32Array(buf, colsAt, n);
    let first = 0;
    while (rows[8 * first] !== rows[8 * bad]) first++;
    return { line: lineOf[bad], fields: colsOf[bad], firstLine: lineOf[first], firstFields: colsOf[first] };
  }
  const ends = new Int32Array(T + 1);
  // After the fill, slot f of the kernel's table holds the end of frame f (1-based), i.e. of frame t = f - 1.
  ends.set(new Int32Array(buf, endsAt + 4, T), 1);
  return {
    ends,
    ids: new Int32Array(buf, idsAt, n).slice(),
    boxes: new Float64Array(buf, boxesAt, 4 * n).slice(),
    classes: new Int32Array(buf, classesAt, n).slice(),
    conf: new Float64Array(buf, confAt, n).slice(),
    lines: new Int32Array(buf, outLinesAt, n).slice(),
  };
}

/** The non-zero box IoUs of every frame; views into kernel memory, valid until the next kernel call. */
export interface SequenceIous {
  /** Frame t's entries are frameEnd[t] .. frameEnd[t + 1] - 1, row-major. */
  frameEnd: Int32Array;
  /** Entry e: GT row at rowCol[4e], tracker column at rowCol[4e + 1] (frame-local indices). */
  rowCol: Int32Array;
  /** Entry e: IoU at value[2e + 1]. */
  value: Float64Array;
}

/** Box IoUs between GT and tracker boxes of each frame (boxes [x, y, w, h] packed per frame). */
export function sequenceIous(gtBoxes: readonly Float64Array[], trBoxes: readonly Float64Array[]): SequenceIous {
  const T = gtBoxes.length;
  const starts = (boxes: readonly Float64Array[]) => {
    const s = new Int32Array(T + 1);
    for (let t = 0; t < T; t++) s[t + 1] = s[t] + (boxes[t].length >> 2);
    return s;
  };
  const joined = (boxes: readonly Float64Array[], s: Int32Array) => {
    const all = joinedView(boxes);
    if (all) return all;
    const out = new Float64Array(4 * s[T]);
    for (let t = 0; t < T; t++) out.set(boxes[t], 4 * s[t]);
    return out;
  };
  const aEnds = starts(gtBoxes);
  const bEnds = starts(trBoxes);
  return sequenceIousOfColumns(joined(gtBoxes, aEnds), aEnds, joined(trBoxes, bEnds), bEnds);
}

/** `sequenceIous` on columns: frame t's boxes are boxes[4 * ends[t]] .. boxes[4 * ends[t + 1] - 1] on each side. */
export function sequenceIousOfColumns(gtBoxes: Float64Array, gtEnds: Int32Array, trBoxes: Float64Array, trEnds: Int32Array): SequenceIous {
  const k = instance();
  const T = gtEnds.length - 1;
  const na = gtEnds[T];
  const nb = trEnds[T];
  const aBox = SCRATCH;
  const bBox = aBox + 32 * na;
  const aStart = bBox + 32 * nb;
  const bStart = aStart + 4 * (T + 1);
  const frameEnd = bStart + 4 * (T + 1);
  let maxH = 0;
  for (let t = 0; t < T; t++) maxH = Math.max(maxH, trEnds[t + 1] - trEnds[t]);
  const sc = align8(frameEnd + 4 * (T + 1));
  const out = align8(sc + 16 * maxH + 8) + 8;
  // A first guess: a few entries per box; grown whenever a frame does not fit.
  let cap = 4 * (na + nb) + 1024;
  reserve(k, out + 16 * cap);
  const f64 = new Float64Array(k.memory.buffer);
  let i32 = new Int32Array(k.memory.buffer);
  i32.set(gtEnds.subarray(0, T + 1), aStart >> 2);
  i32.set(trEnds.subarray(0, T + 1), bStart >> 2);
  f64.set(gtBoxes.subarray(0, 4 * na), aBox >> 3);
  f64.set(trBoxes.subarray(0, 4 * nb), bBox >> 3);
  i32[frameEnd >> 2] = 0;
  for (let t = 0; ; ) {
    t = k.ious(aBox, aStart, bBox, bStart, T, t, out, cap, frameEnd, sc);
    if (t >= T) break;
    const G = i32[(aStart >> 2) + t + 1] - i32[(aStart >> 2) + t];
    const H = i32[(bStart >> 2) + t + 1] - i32[(bStart >> 2) + t];
    const used = i32[(frameEnd >> 2) + t];
    cap = Math.max(2 * cap, used + G * H);
    reserve(k, out + 16 * cap);
    i32 = new Int32Array(k.memory.buffer);
  }
  const buf = k.memory.buffer;
  const total = i32[(frameEnd >> 2) + T];
  return { frameEnd: new Int32Array(buf, frameEnd, T + 1), rowCol: new Int32Array(buf, out, 4 * total), value: new Float64Array(buf, out, 2 * total) };
}
