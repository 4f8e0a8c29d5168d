// The per-frame loops of HOTA and CLEAR as WebAssembly, assembled from the WAT below by ./wat. Each is the same
// computation as the JS it stands for, operation for operation (same IEEE operations in the same order).
//
// HOTA (`globalAlignment` and `matchFrames` of ../hota): pass 1 sums soft-IoU potential matches per id pair and
// per-id detection counts and turns them into the alignment A[g,h]; pass 2 matches on score = A[g,h] * S for the
// non-zero similarities with the unique-positive-matching proof of ../assignment (`uniquePositiveMatchingSparse`:
// isolated entries, else every connected component enumerated) and accumulates per alpha in the same order.
// CLEAR (the frame loop of `evalClearSequence` in ../clear): scores 1000 * (continues the previous frame's match) + S
// for S >= threshold - eps, the same matching proof, then IDSW, fragmentation and per-id counts.
// A frame whose matching the kernel cannot prove is handed back: the caller solves it with `linearSumAssignment`
// (scipy's tie-breaking) and feeds the pairs to the same accumulation. Used when id-pair tables fit in dense arrays.
import { linearSumAssignment } from "../assignment";
import { joinedView } from "./contiguous";
import { assembleModule, type WatFunction } from "./wat";

const NA = 19;

// Context block: i32 fields (pointers into memory and a few values) at CTX + 4 * index.
const CTX = 64;
const F = {
  T: 0, nT: 1, spStart: 2, spRows: 3, spCols: 4, spVals: 5, gStart: 6, gIds: 7, tStart: 8, tIds: 9, align: 10, slot: 11,
  counts: 12, nSlots: 13, thr: 14, acc: 15, frameLoc: 16, frameTp: 17, pr: 18, pc: 19, pv: 20, npos: 21, rowCount: 22,
  colCount: 23, parent: 24, head: 25, tail: 26, next: 27, chosenCol: 28, used: 29, compEntries: 30, compRowStart: 31,
  chosen: 32, bestChosen: 33, best: 34, mr: 35, mc: 36, G: 37, H: 38, nG: 39, rowSum: 40, colSum: 41, gCount: 42, tCount: 43,
  prevTr: 44, prevTs: 45, gMatched: 46, gFrag: 47, notPrev: 48, clr: 49, ms: 50,
  // MOT preprocessing (see `prep`).
  recs: 51, eEnd: 52, gS: 53, tS: 54, gIdsIn: 55, gCls: 56, gConf: 57, tIdsIn: 58, tCls: 59, dist: 60, newRow: 61,
  newCol: 62, simStart: 63, simRows: 64, simCols: 65, simVals: 66, nSim: 67, gOut: 68, tOut: 69, nGk: 70, nHk: 71,
  doPre: 72, errT: 73, errK: 74, gOutS: 75, tOutS: 76, mn: 77, mx: 78,
} as const;
type Field = keyof typeof F;
const HEAP = CTX + 4 * 80;

/** `local.get $ctx i32.load offset=<field>`: a context field. */
const ctx = (f: Field) => `local.get $ctx i32.load offset=${4 * F[f]}`;
/** Address of element `idx` (WAT pushing an i32) of the i32 array in context field `f`. */
const at4 = (f: Field, idx: string) => `${ctx(f)} ${idx} i32.const 2 i32.shl i32.add`;
const at8 = (f: Field, idx: string) => `${ctx(f)} ${idx} i32.const 3 i32.shl i32.add`;
const get = (v: string) => `local.get $${v}`;
const set = (v: string) => `local.set $${v}`;
/** i32 fill of `n` elements of array field `f` with `value` (uses local $z). */
const fill4 = (f: Field, n: string, value: number, l: string) => `
  i32.const 0 ${set("z")}
  block $${l} loop $${l}l
    ${get("z")} ${n} i32.ge_s br_if $${l}
    ${at4(f, get("z"))} i32.const ${value} i32.store
    ${get("z")} i32.const 1 i32.add ${set("z")}
    br $${l}l
  end end`;

/** Union-find root with path halving (as `findRoot`). */
const find: WatFunction = {
  name: "find",
  params: [["parent", "i32"], ["x", "i32"]],
  result: "i32",
  locals: [["px", "i32"]],
  exported: false,
  body: `
  block $done loop $up
    local.get $parent local.get $x i32.const 2 i32.shl i32.add i32.load local.tee $px local.get $x i32.eq br_if $done
    local.get $parent local.get $x i32.const 2 i32.shl i32.add
    local.get $parent local.get $px i32.const 2 i32.shl i32.add i32.load i32.store
    local.get $parent local.get $x i32.const 2 i32.shl i32.add i32.load local.set $x
    br $up
  end end
  local.get $x`,
};

/** `enumerate` of ./assignment: every matching of the component; best total (and its entries) and the runner-up. */
const enumerate: WatFunction = {
  name: "enumerate",
  params: [["ctx", "i32"], ["R", "i32"], ["q", "i32"], ["total", "f64"]],
  locals: [["x", "i32"], ["x1", "i32"], ["k", "i32"], ["j", "i32"], ["z", "i32"], ["bp", "i32"]],
  exported: false,
  body: `
  ${ctx("best")} ${set("bp")}
  ${get("q")} ${get("R")} i32.eq
  if
    ${get("total")} ${get("bp")} f64.load f64.gt
    if
      ${get("bp")} ${get("bp")} f64.load f64.store offset=8
      ${get("bp")} ${get("total")} f64.store
      i32.const 0 ${set("z")}
      block $cp loop $cpl
        ${get("z")} ${get("R")} i32.ge_s br_if $cp
        ${at4("bestChosen", get("z"))} ${at4("chosen", get("z"))} i32.load i32.store
        ${get("z")} i32.const 1 i32.add ${set("z")}
        br $cpl
      end end
    else
      ${get("total")} ${get("bp")} f64.load offset=8 f64.gt
      if ${get("bp")} ${get("total")} f64.store offset=8 end
    end
    return
  end
  ${at4("chosen", get("q"))} i32.const -1 i32.store
  ${get("ctx")} ${get("R")} ${get("q")} i32.const 1 i32.add ${get("total")} call $enumerate
  ${at4("compRowStart", get("q"))} i32.load ${set("x")}
  ${at4("compRowStart", `${get("q")} i32.const 1 i32.add`)} i32.load ${set("x1")}
  block $done loop $next
    ${get("x")} ${get("x1")} i32.ge_s br_if $done
    block $skip
      ${at4("compEntries", get("x"))} i32.load ${set("k")}
      ${at4("pc", get("k"))} i32.load ${set("j")}
      ${at4("used", get("j"))} i32.load br_if $skip
      ${at4("used", get("j"))} i32.const 1 i32.store
      ${at4("chosen", get("q"))} ${get("k")} i32.store
      ${get("ctx")} ${get("R")} ${get("q")} i32.const 1 i32.add ${get("total")} ${at8("pv", get("k"))} f64.load f64.add call $enumerate
      ${at4("used", get("j"))} i32.const 0 i32.store
    end
    ${get("x")} i32.const 1 i32.add ${set("x")}
    br $next
  end end
  ${at4("chosen", get("q"))} i32.const -1 i32.store`,
};

/**
 * `uniquePositiveMatchingSparse` on the positive list (pr, pc, pv; npos entries) of a G x H frame: writes the matched
 * pairs, rows ascending, to (mr, mc) and returns their number, or -1 when it cannot prove the matching.
 */
const match: WatFunction = {
  name: "match",
  params: [["ctx", "i32"], ["G", "i32"], ["H", "i32"]],
  result: "i32",
  locals: [["n", "i32"], ["k", "i32"], ["z", "i32"], ["iso", "i32"], ["a", "i32"], ["b", "i32"], ["r", "i32"], ["h", "i32"], ["m", "i32"], ["R", "i32"], ["nodes", "i32"], ["p", "i32"], ["best", "f64"], ["second", "f64"]],
  body: `
  ${ctx("npos")} ${set("n")}
  ${fill4("rowCount", get("G"), 0, "f1")}
  ${fill4("colCount", get("H"), 0, "f2")}
  i32.const 1 ${set("iso")}
  i32.const 0 ${set("k")}
  block $c1 loop $c1l
    ${get("k")} ${get("n")} i32.ge_s br_if $c1
    ${at4("rowCount", `${at4("pr", get("k"))} i32.load`)} ${set("p")}
    ${get("p")} ${get("p")} i32.load i32.const 1 i32.add local.tee $a i32.store
    ${get("a")} i32.const 1 i32.gt_s if i32.const 0 ${set("iso")} end
    ${at4("colCount", `${at4("pc", get("k"))} i32.load`)} ${set("p")}
    ${get("p")} ${get("p")} i32.load i32.const 1 i32.add local.tee $a i32.store
    ${get("a")} i32.const 1 i32.gt_s if i32.const 0 ${set("iso")} end
    ${get("k")} i32.const 1 i32.add ${set("k")}
    br $c1l
  end end
  ${get("iso")}
  if
    i32.const 0 ${set("k")}
    block $c2 loop $c2l
      ${get("k")} ${get("n")} i32.ge_s br_if $c2
      ${at4("mr", get("k"))} ${at4("pr", get("k"))} i32.load i32.store
      ${at4("mc", get("k"))} ${at4("pc", get("k"))} i32.load i32.store
      ${get("k")} i32.const 1 i32.add ${set("k")}
      br $c2l
    end end
    ${get("n")} return
  end
  ${get("G")} ${get("H")} i32.add ${set("nodes")}
  i32.const 0 ${set("z")}
  block $c3 loop $c3l
    ${get("z")} ${get("nodes")} i32.ge_s br_if $c3
    ${at4("parent", get("z"))} ${get("z")} i32.store
    ${get("z")} i32.const 1 i32.add ${set("z")}
    br $c3l
  end end
  i32.const 0 ${set("k")}
  block $c4 loop $c4l
    ${get("k")} ${get("n")} i32.ge_s br_if $c4
    ${ctx("parent")} ${at4("pr", get("k"))} i32.load call $find ${set("a")}
    ${ctx("parent")} ${get("G")} ${at4("pc", get("k"))} i32.load i32.add call $find ${set("b")}
    ${get("a")} ${get("b")} i32.ne
    if ${at4("parent", get("a"))} ${get("b")} i32.store end
    ${get("k")} i32.const 1 i32.add ${set("k")}
    br $c4l
  end end
  ${fill4("head", get("nodes"), -1, "f3")}
  i32.const 0 ${set("k")}
  block $c5 loop $c5l
    ${get("k")} ${get("n")} i32.ge_s br_if $c5
    ${ctx("parent")} ${at4("pr", get("k"))} i32.load call $find ${set("r")}
    ${at4("next", get("k"))} i32.const -1 i32.store
    ${at4("head", get("r"))} i32.load i32.const 0 i32.lt_s
    if ${at4("head", get("r"))} ${get("k")} i32.store
    else ${at4("next", `${at4("tail", get("r"))} i32.load`)} ${get("k")} i32.store end
    ${at4("tail", get("r"))} ${get("k")} i32.store
    ${get("k")} i32.const 1 i32.add ${set("k")}
    br $c5l
  end end
  ${fill4("chosenCol", get("G"), -1, "f4")}
  ${fill4("used", get("H"), 0, "f5")}
  i32.const 0 ${set("r")}
  block $comps loop $compsl
    ${get("r")} ${get("nodes")} i32.ge_s br_if $comps
    block $nextComp
      ${at4("head", get("r"))} i32.load local.tee $h i32.const 0 i32.lt_s br_if $nextComp
      ${at4("next", get("h"))} i32.load i32.const 0 i32.lt_s
      if
        ${at4("chosenCol", `${at4("pr", get("h"))} i32.load`)} ${at4("pc", get("h"))} i32.load i32.store
        br $nextComp
      end
      i32.const 0 ${set("m")}
      i32.const 0 ${set("R")}
      ${get("h")} ${set("k")}
      block $g loop $gl
        ${get("k")} i32.const 0 i32.lt_s br_if $g
        ${get("m")} i32.eqz
        if i32 i32.const 1
        else ${at4("pr", get("k"))} i32.load ${at4("pr", `${at4("compEntries", `${get("m")} i32.const 1 i32.sub`)} i32.load`)} i32.load i32.ne end
        if
          ${get("R")} i32.const 6 i32.eq if i32.const -1 return end
          ${at4("compRowStart", get("R"))} ${get("m")} i32.store
          ${get("R")} i32.const 1 i32.add ${set("R")}
        end
        ${get("m")} i32.const 16 i32.eq if i32.const -1 return end
        ${at4("compEntries", get("m"))} ${get("k")} i32.store
        ${get("m")} i32.const 1 i32.add ${set("m")}
        ${at4("next", get("k"))} i32.load ${set("k")}
        br $gl
      end end
      ${at4("compRowStart", get("R"))} ${get("m")} i32.store
      ${ctx("best")} f64.const -Infinity f64.store
      ${ctx("best")} f64.const -Infinity f64.store offset=8
      ${get("ctx")} ${get("R")} i32.const 0 f64.const 0 call $enumerate
      ${ctx("best")} f64.load ${set("best")}
      ${ctx("best")} f64.load offset=8 ${set("second")}
      ${get("best")} ${get("second")} f64.sub f64.const 1e-9 f64.const 1 ${get("best")} f64.abs f64.max f64.mul f64.gt
      i32.eqz if i32.const -1 return end
      i32.const 0 ${set("z")}
      block $w loop $wl
        ${get("z")} ${get("R")} i32.ge_s br_if $w
        ${at4("bestChosen", get("z"))} i32.load local.tee $k i32.const 0 i32.ge_s
        if ${at4("chosenCol", `${at4("pr", get("k"))} i32.load`)} ${at4("pc", get("k"))} i32.load i32.store end
        ${get("z")} i32.const 1 i32.add ${set("z")}
        br $wl
      end end
    end
    ${get("r")} i32.const 1 i32.add ${set("r")}
    br $compsl
  end end
  i32.const 0 ${set("m")}
  i32.const 0 ${set("z")}
  block $o loop $ol
    ${get("z")} ${get("G")} i32.ge_s br_if $o
    ${at4("chosenCol", get("z"))} i32.load local.tee $k i32.const 0 i32.ge_s
    if
      ${at4("mr", get("m"))} ${get("z")} i32.store
      ${at4("mc", get("m"))} ${get("k")} i32.store
      ${get("m")} i32.const 1 i32.add ${set("m")}
    end
    ${get("z")} i32.const 1 i32.add ${set("z")}
    br $ol
  end end
  ${get("m")}`,
};

/**
 * accumulate(ctx, t, n): the n matched pairs (mr, mc) of frame t: similarity of each (0 when absent), the alphas it
 * passes (a prefix), per-id-pair counts (slot table), and the frame's TP / FN / FP / LocA sums, as `matchFrames`.
 */
const accumulate: WatFunction = {
  name: "accumulate",
  params: [["ctx", "i32"], ["t", "i32"], ["n", "i32"]],
  locals: [["z", "i32"], ["m", "i32"], ["i", "i32"], ["j", "i32"], ["G", "i32"], ["H", "i32"], ["lo", "i32"], ["hi", "i32"], ["mid", "i32"], ["key", "i32"], ["kk", "i32"], ["passed", "i32"], ["sl", "i32"], ["o", "i32"], ["a", "i32"], ["s", "f64"], ["x", "f64"]],
  body: `
  i32.const 0 ${set("a")}
  block $c loop $cl
    ${get("a")} i32.const ${NA} i32.ge_s br_if $c
    ${at8("frameLoc", get("a"))} f64.const 0 f64.store
    ${at4("frameTp", get("a"))} i32.const 0 i32.store
    ${get("a")} i32.const 1 i32.add ${set("a")}
    br $cl
  end end
  ${at4("gStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${at4("gStart", get("t"))} i32.load i32.sub ${set("G")}
  ${at4("tStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${at4("tStart", get("t"))} i32.load i32.sub ${set("H")}
  i32.const 0 ${set("m")}
  block $done loop $next
    ${get("m")} ${get("n")} i32.ge_s br_if $done
    block $skip
      ${at4("mr", get("m"))} i32.load ${set("i")}
      ${at4("mc", get("m"))} i32.load ${set("j")}
      ;; similarity of (i, j): binary search on key i * H + j among the frame's row-major entries
      f64.const 0 ${set("s")}
      ${get("i")} ${get("H")} i32.mul ${get("j")} i32.add ${set("key")}
      ${at4("spStart", get("t"))} i32.load ${set("lo")}
      ${at4("spStart", `${get("t")} i32.const 1 i32.add`)} i32.load i32.const 1 i32.sub ${set("hi")}
      block $found loop $bs
        ${get("lo")} ${get("hi")} i32.gt_s br_if $found
        ${get("lo")} ${get("hi")} i32.add i32.const 1 i32.shr_s ${set("mid")}
        ${at4("spRows", get("mid"))} i32.load ${get("H")} i32.mul ${at4("spCols", get("mid"))} i32.load i32.add local.tee $kk ${get("key")} i32.eq
        if ${at8("spVals", get("mid"))} f64.load ${set("s")} br $found end
        ${get("kk")} ${get("key")} i32.lt_s
        if ${get("mid")} i32.const 1 i32.add ${set("lo")}
        else ${get("mid")} i32.const 1 i32.sub ${set("hi")} end
        br $bs
      end end
      i32.const 0 ${set("passed")}
      block $p loop $pl
        ${get("passed")} i32.const ${NA} i32.ge_s br_if $p
        ${get("s")} ${at8("thr", get("passed"))} f64.load f64.ge i32.eqz br_if $p
        ${get("passed")} i32.const 1 i32.add ${set("passed")}
        br $pl
      end end
      ${get("passed")} i32.eqz br_if $skip
      ${at4("gIds", `${at4("gStart", get("t"))} i32.load ${get("i")} i32.add`)} i32.load ${ctx("nT")} i32.mul
      ${at4("tIds", `${at4("tStart", get("t"))} i32.load ${get("j")} i32.add`)} i32.load i32.add ${set("key")}
      ${at4("slot", get("key"))} i32.load local.tee $sl i32.eqz
      if
        ${get("ctx")} ${ctx("nSlots")} i32.const 1 i32.add local.tee $sl i32.store offset=${4 * F.nSlots}
        ${at4("slot", get("key"))} ${get("sl")} i32.store
      end
      ${get("sl")} i32.const 1 i32.sub i32.const ${NA} i32.mul ${set("o")}
      i32.const 0 ${set("a")}
      block $acc loop $accl
        ${get("a")} ${get("passed")} i32.ge_s br_if $acc
        ${at4("frameTp", get("a"))} ${at4("frameTp", get("a"))} i32.load i32.const 1 i32.add i32.store
        ${at8("frameLoc", get("a"))} ${at8("frameLoc", get("a"))} f64.load ${get("s")} f64.add f64.store
        ${at4("counts", `${get("o")} ${get("a")} i32.add`)} ${at4("counts", `${get("o")} ${get("a")} i32.add`)} i32.load i32.const 1 i32.add i32.store
        ${get("a")} i32.const 1 i32.add ${set("a")}
        br $accl
      end end
    end
    ${get("m")} i32.const 1 i32.add ${set("m")}
    br $next
  end end
  ;; acc: tp[19], fn[19], fp[19], loc[19]
  i32.const 0 ${set("a")}
  block $f loop $fl
    ${get("a")} i32.const ${NA} i32.ge_s br_if $f
    ${at4("frameTp", get("a"))} i32.load ${set("z")}
    ${at8("acc", get("a"))} ${at8("acc", get("a"))} f64.load ${get("z")} f64.convert_i32_s f64.add f64.store
    ${at8("acc", `${get("a")} i32.const ${NA} i32.add`)} ${at8("acc", `${get("a")} i32.const ${NA} i32.add`)} f64.load ${get("G")} ${get("z")} i32.sub f64.convert_i32_s f64.add f64.store
    ${at8("acc", `${get("a")} i32.const ${2 * NA} i32.add`)} ${at8("acc", `${get("a")} i32.const ${2 * NA} i32.add`)} f64.load ${get("H")} ${get("z")} i32.sub f64.convert_i32_s f64.add f64.store
    ${get("z")} i32.const 0 i32.gt_s
    if ${at8("acc", `${get("a")} i32.const ${3 * NA} i32.add`)} ${at8("acc", `${get("a")} i32.const ${3 * NA} i32.add`)} f64.load ${at8("frameLoc", get("a"))} f64.load f64.add f64.store end
    ${get("a")} i32.const 1 i32.add ${set("a")}
    br $fl
  end end`,
};

/**
 * frames(ctx, t) -> frame index: runs frames t.. (empty frames only count FN / FP; else the positive scores, the
 * matching and `accumulate`); returns at the first frame whose matching it cannot prove (positive list left in
 * pr/pc/pv, npos set, G and H set), or T when done.
 */
const frames: WatFunction = {
  name: "frames",
  params: [["ctx", "i32"], ["t", "i32"]],
  result: "i32",
  locals: [["G", "i32"], ["H", "i32"], ["k", "i32"], ["k1", "i32"], ["n", "i32"], ["a", "i32"], ["i", "i32"], ["j", "i32"], ["v", "f64"]],
  body: `
  block $done loop $frame
    ${get("t")} ${ctx("T")} i32.ge_s br_if $done
    block $next
      ${at4("gStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${at4("gStart", get("t"))} i32.load i32.sub ${set("G")}
      ${at4("tStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${at4("tStart", get("t"))} i32.load i32.sub ${set("H")}
      ${get("G")} i32.eqz ${get("H")} i32.eqz i32.or
      if
        i32.const 0 ${set("a")}
        block $e loop $el
          ${get("a")} i32.const ${NA} i32.ge_s br_if $e
          ${get("G")} i32.eqz
          if ${at8("acc", `${get("a")} i32.const ${2 * NA} i32.add`)} ${at8("acc", `${get("a")} i32.const ${2 * NA} i32.add`)} f64.load ${get("H")} f64.convert_i32_s f64.add f64.store
          else ${at8("acc", `${get("a")} i32.const ${NA} i32.add`)} ${at8("acc", `${get("a")} i32.const ${NA} i32.add`)} f64.load ${get("G")} f64.convert_i32_s f64.add f64.store end
          ${get("a")} i32.const 1 i32.add ${set("a")}
          br $el
        end end
        br $next
      end
      i32.const 0 ${set("n")}
      ${at4("spStart", get("t"))} i32.load ${set("k")}
      ${at4("spStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${set("k1")}
      block $s loop $sl
        ${get("k")} ${get("k1")} i32.ge_s br_if $s
        ${at4("spRows", get("k"))} i32.load ${set("i")}
        ${at4("spCols", get("k"))} i32.load ${set("j")}
        ${at8("align", `${at4("gIds", `${at4("gStart", get("t"))} i32.load ${get("i")} i32.add`)} i32.load ${ctx("nT")} i32.mul ${at4("tIds", `${at4("tStart", get("t"))} i32.load ${get("j")} i32.add`)} i32.load i32.add`)} f64.load
        ${at8("spVals", get("k"))} f64.load f64.mul local.tee $v f64.const 0 f64.gt
        if
          ${at4("pr", get("n"))} ${get("i")} i32.store
          ${at4("pc", get("n"))} ${get("j")} i32.store
          ${at8("pv", get("n"))} ${get("v")} f64.store
          ${get("n")} i32.const 1 i32.add ${set("n")}
        end
        ${get("k")} i32.const 1 i32.add ${set("k")}
        br $sl
      end end
      ${get("ctx")} ${get("n")} i32.store offset=${4 * F.npos}
      ${get("ctx")} ${get("G")} ${get("H")} call $match local.tee $n i32.const 0 i32.lt_s
      if
        ${get("ctx")} ${get("G")} i32.store offset=${4 * F.G}
        ${get("ctx")} ${get("H")} i32.store offset=${4 * F.H}
        ${get("t")} return
      end
      ${get("ctx")} ${get("t")} ${get("n")} call $accumulate
    end
    ${get("t")} i32.const 1 i32.add ${set("t")}
    br $frame
  end end
  ${get("t")}`,
};

/**
 * align(ctx): pass 1 (`globalAlignment`). Per frame with similarities: row and column sums of S, then for each entry
 * potential[g,h] += S / (colSum + rowSum - S) when that denominator > eps; per-id detection counts; finally
 * A = potential / (n_g + n_h - potential) for every non-zero potential. A is left in `align`, counts in gCount/tCount.
 */
const align: WatFunction = {
  name: "align",
  params: [["ctx", "i32"]],
  locals: [["t", "i32"], ["G", "i32"], ["H", "i32"], ["k", "i32"], ["k0", "i32"], ["k1", "i32"], ["z", "i32"], ["i", "i32"], ["j", "i32"], ["p", "i32"], ["key", "i32"], ["n", "i32"], ["g", "i32"], ["s", "f64"], ["d", "f64"], ["pot", "f64"]],
  body: `
  block $frames loop $frame
    ${get("t")} ${ctx("T")} i32.ge_s br_if $frames
    ${at4("gStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${at4("gStart", get("t"))} i32.load i32.sub ${set("G")}
    ${at4("tStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${at4("tStart", get("t"))} i32.load i32.sub ${set("H")}
    ${at4("spStart", get("t"))} i32.load ${set("k0")}
    ${at4("spStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${set("k1")}
    ${get("k1")} ${get("k0")} i32.gt_s
    if
      i32.const 0 ${set("z")}
      block $zr loop $zrl
        ${get("z")} ${get("G")} i32.ge_s br_if $zr
        ${at8("rowSum", get("z"))} f64.const 0 f64.store
        ${get("z")} i32.const 1 i32.add ${set("z")}
        br $zrl
      end end
      i32.const 0 ${set("z")}
      block $zc loop $zcl
        ${get("z")} ${get("H")} i32.ge_s br_if $zc
        ${at8("colSum", get("z"))} f64.const 0 f64.store
        ${get("z")} i32.const 1 i32.add ${set("z")}
        br $zcl
      end end
      ${get("k0")} ${set("k")}
      block $sums loop $suml
        ${get("k")} ${get("k1")} i32.ge_s br_if $sums
        ${at8("spVals", get("k"))} f64.load ${set("s")}
        ${at8("rowSum", `${at4("spRows", get("k"))} i32.load`)} ${set("p")}
        ${get("p")} ${get("p")} f64.load ${get("s")} f64.add f64.store
        ${at8("colSum", `${at4("spCols", get("k"))} i32.load`)} ${set("p")}
        ${get("p")} ${get("p")} f64.load ${get("s")} f64.add f64.store
        ${get("k")} i32.const 1 i32.add ${set("k")}
        br $suml
      end end
      ${get("k0")} ${set("k")}
      block $pots loop $potl
        ${get("k")} ${get("k1")} i32.ge_s br_if $pots
        ${at4("spRows", get("k"))} i32.load ${set("i")}
        ${at4("spCols", get("k"))} i32.load ${set("j")}
        ${at8("spVals", get("k"))} f64.load ${set("s")}
        ${at8("colSum", get("j"))} f64.load ${at8("rowSum", get("i"))} f64.load f64.add ${get("s")} f64.sub local.tee $d
        f64.const 2.220446049250313e-16 f64.gt
        if
          ${at8("align", `${at4("gIds", `${at4("gStart", get("t"))} i32.load ${get("i")} i32.add`)} i32.load ${ctx("nT")} i32.mul ${at4("tIds", `${at4("tStart", get("t"))} i32.load ${get("j")} i32.add`)} i32.load i32.add`)} ${set("p")}
          ${get("p")} ${get("p")} f64.load ${get("s")} ${get("d")} f64.div f64.add f64.store
        end
        ${get("k")} i32.const 1 i32.add ${set("k")}
        br $potl
      end end
    end
    i32.const 0 ${set("z")}
    block $cg loop $cgl
      ${get("z")} ${get("G")} i32.ge_s br_if $cg
      ${at8("gCount", `${at4("gIds", `${at4("gStart", get("t"))} i32.load ${get("z")} i32.add`)} i32.load`)} ${set("p")}
      ${get("p")} ${get("p")} f64.load f64.const 1 f64.add f64.store
      ${get("z")} i32.const 1 i32.add ${set("z")}
      br $cgl
    end end
    i32.const 0 ${set("z")}
    block $ct loop $ctl
      ${get("z")} ${get("H")} i32.ge_s br_if $ct
      ${at8("tCount", `${at4("tIds", `${at4("tStart", get("t"))} i32.load ${get("z")} i32.add`)} i32.load`)} ${set("p")}
      ${get("p")} ${get("p")} f64.load f64.const 1 f64.add f64.store
      ${get("z")} i32.const 1 i32.add ${set("z")}
      br $ctl
    end end
    ${get("t")} i32.const 1 i32.add ${set("t")}
    br $frame
  end end
  ${ctx("nG")} ${ctx("nT")} i32.mul ${set("n")}
  block $fin loop $finl
    ${get("key")} ${get("n")} i32.ge_s br_if $fin
    ${at8("align", get("key"))} local.tee $p f64.load local.tee $pot f64.const 0 f64.ne
    if
      ${get("key")} ${ctx("nT")} i32.div_u ${set("g")}
      ${get("p")}
      ${get("pot")}
      ${at8("gCount", get("g"))} f64.load ${at8("tCount", `${get("key")} ${get("g")} ${ctx("nT")} i32.mul i32.sub`)} f64.load f64.add ${get("pot")} f64.sub
      f64.div f64.store
    end
    ${get("key")} i32.const 1 i32.add ${set("key")}
    br $finl
  end end`,
};

// CLEAR accumulators at ctx clr: [0] CLR_TP, [1] CLR_FN, [2] CLR_FP, [3] IDSW, [4] MOTP_sum, [5] threshold - eps.
const clr = (slot: number) => `${ctx("clr")} i32.const ${8 * slot} i32.add`;
/** clr[slot] += value (WAT pushing an f64). */
const clrAdd = (slot: number, value: string) => `${clr(slot)} ${clr(slot)} f64.load ${value} f64.add f64.store`;
/** Id of frame $t's GT row / tracker column `x` (WAT pushing an i32). */
const gId = (x: string) => `${at4("gIds", `${at4("gStart", get("t"))} i32.load ${x} i32.add`)} i32.load`;
const tId = (x: string) => `${at4("tIds", `${at4("tStart", get("t"))} i32.load ${x} i32.add`)} i32.load`;
/** 1000 if tracker column $j continues GT row $i's match of the previous frame, else 0; plus $s (an f64). */
const clearScore = `f64.const 1000 f64.const 0 ${tId(get("j"))} f64.convert_i32_s ${at8("prevTs", gId(get("i")))} f64.load f64.eq select ${get("s")} f64.add`;

/**
 * clearFrames(ctx, t) -> frame index: CLEAR's frame loop from frame t; returns at the first frame whose matching it
 * cannot prove (positive list in pr/pc/pv, npos, G and H set), or T when done.
 */
const clearFrames: WatFunction = {
  name: "clearFrames",
  params: [["ctx", "i32"], ["t", "i32"]],
  result: "i32",
  locals: [["G", "i32"], ["H", "i32"], ["k", "i32"], ["k1", "i32"], ["n", "i32"], ["i", "i32"], ["j", "i32"], ["p", "i32"], ["s", "f64"], ["v", "f64"], ["thr", "f64"]],
  body: `
  ${clr(5)} f64.load ${set("thr")}
  block $done loop $frame
    ${get("t")} ${ctx("T")} i32.ge_s br_if $done
    block $next
      ${at4("gStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${at4("gStart", get("t"))} i32.load i32.sub ${set("G")}
      ${at4("tStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${at4("tStart", get("t"))} i32.load i32.sub ${set("H")}
      ${get("G")} i32.eqz
      if ${clrAdd(2, `${get("H")} f64.convert_i32_s`)} br $next end
      ${get("H")} i32.eqz
      if
        ${clrAdd(1, `${get("G")} f64.convert_i32_s`)}
        i32.const 0 ${set("i")}
        block $c loop $cl
          ${get("i")} ${get("G")} i32.ge_s br_if $c
          ${at8("gCount", gId(get("i")))} ${set("p")}
          ${get("p")} ${get("p")} f64.load f64.const 1 f64.add f64.store
          ${get("i")} i32.const 1 i32.add ${set("i")}
          br $cl
        end end
        br $next
      end
      i32.const 0 ${set("n")}
      ${at4("spStart", get("t"))} i32.load ${set("k")}
      ${at4("spStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${set("k1")}
      block $s loop $sl
        ${get("k")} ${get("k1")} i32.ge_s br_if $s
        block $skip
          ${at8("spVals", get("k"))} f64.load local.tee $s ${get("thr")} f64.lt br_if $skip
          ${at4("spRows", get("k"))} i32.load ${set("i")}
          ${at4("spCols", get("k"))} i32.load ${set("j")}
          ${clearScore} local.tee $v f64.const 0 f64.gt i32.eqz br_if $skip
          ${at4("pr", get("n"))} ${get("i")} i32.store
          ${at4("pc", get("n"))} ${get("j")} i32.store
          ${at8("pv", get("n"))} ${get("v")} f64.store
          ${get("n")} i32.const 1 i32.add ${set("n")}
        end
        ${get("k")} i32.const 1 i32.add ${set("k")}
        br $sl
      end end
      ${get("ctx")} ${get("n")} i32.store offset=${4 * F.npos}
      ${get("ctx")} ${get("G")} ${get("H")} call $match local.tee $n i32.const 0 i32.lt_s
      if
        ${get("ctx")} ${get("G")} i32.store offset=${4 * F.G}
        ${get("ctx")} ${get("H")} i32.store offset=${4 * F.H}
        ${get("t")} return
      end
      ${get("ctx")} ${get("t")} ${get("n")} call $clearApply
    end
    ${get("t")} i32.const 1 i32.add ${set("t")}
    br $frame
  end end
  ${get("t")}`,
};

/**
 * clearApply(ctx, t, n): frame t's n assigned pairs (mr, mc): keeps those whose score is > eps, then IDSW against
 * the last tracker id ever matched, per-id counts, fragmentation and the previous-frame state, as `evalClearSequence`.
 */
const clearApply: WatFunction = {
  name: "clearApply",
  params: [["ctx", "i32"], ["t", "i32"], ["n", "i32"]],
  locals: [["G", "i32"], ["H", "i32"], ["q", "i32"], ["K", "i32"], ["i", "i32"], ["j", "i32"], ["g", "i32"], ["nG", "i32"], ["key", "i32"], ["lo", "i32"], ["hi", "i32"], ["mid", "i32"], ["kk", "i32"], ["p", "i32"], ["s", "f64"], ["prev", "f64"], ["sum", "f64"], ["thr", "f64"]],
  body: `
  ${clr(5)} f64.load ${set("thr")}
  ${ctx("nG")} ${set("nG")}
  ${at4("gStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${at4("gStart", get("t"))} i32.load i32.sub ${set("G")}
  ${at4("tStart", `${get("t")} i32.const 1 i32.add`)} i32.load ${at4("tStart", get("t"))} i32.load i32.sub ${set("H")}
  block $done loop $next
    ${get("q")} ${get("n")} i32.ge_s br_if $done
    block $skip
      ${at4("mr", get("q"))} i32.load ${set("i")}
      ${at4("mc", get("q"))} i32.load ${set("j")}
      ;; similarity of (i, j) (0 when absent): binary search on i * H + j among the frame's row-major entries
      f64.const 0 ${set("s")}
      ${get("i")} ${get("H")} i32.mul ${get("j")} i32.add ${set("key")}
      ${at4("spStart", get("t"))} i32.load ${set("lo")}
      ${at4("spStart", `${get("t")} i32.const 1 i32.add`)} i32.load i32.const 1 i32.sub ${set("hi")}
      block $found loop $bs
        ${get("lo")} ${get("hi")} i32.gt_s br_if $found
        ${get("lo")} ${get("hi")} i32.add i32.const 1 i32.shr_s ${set("mid")}
        ${at4("spRows", get("mid"))} i32.load ${get("H")} i32.mul ${at4("spCols", get("mid"))} i32.load i32.add local.tee $kk ${get("key")} i32.eq
        if ${at8("spVals", get("mid"))} f64.load ${set("s")} br $found end
        ${get("kk")} ${get("key")} i32.lt_s
        if ${get("mid")} i32.const 1 i32.add ${set("lo")}
        else ${get("mid")} i32.const 1 i32.sub ${set("hi")} end
        br $bs
      end end
      ;; score 0 below the threshold; kept when score > eps
      ${get("s")} ${get("thr")} f64.lt br_if $skip
      ${clearScore} f64.const 2.220446049250313e-16 f64.gt i32.eqz br_if $skip
      ${at4("mr", get("K"))} ${get("i")} i32.store
      ${at4("mc", get("K"))} ${get("j")} i32.store
      ${at8("ms", get("K"))} ${get("s")} f64.store
      ${get("K")} i32.const 1 i32.add ${set("K")}
    end
    ${get("q")} i32.const 1 i32.add ${set("q")}
    br $next
  end end
  ;; IDSW: matched to another tracker id than the last one ever matched (prev is NaN before the first match)
  i32.const 0 ${set("q")}
  block $a loop $al
    ${get("q")} ${get("K")} i32.ge_s br_if $a
    ${at8("prevTr", gId(`${at4("mr", get("q"))} i32.load`))} f64.load local.tee $prev ${get("prev")} f64.eq
    ${tId(`${at4("mc", get("q"))} i32.load`)} f64.convert_i32_s ${get("prev")} f64.ne i32.and
    if ${clrAdd(3, "f64.const 1")} end
    ${get("q")} i32.const 1 i32.add ${set("q")}
    br $al
  end end
  i32.const 0 ${set("i")}
  block $b loop $bl
    ${get("i")} ${get("G")} i32.ge_s br_if $b
    ${at8("gCount", gId(get("i")))} ${set("p")}
    ${get("p")} ${get("p")} f64.load f64.const 1 f64.add f64.store
    ${get("i")} i32.const 1 i32.add ${set("i")}
    br $bl
  end end
  i32.const 0 ${set("q")}
  block $c loop $cl
    ${get("q")} ${get("K")} i32.ge_s br_if $c
    ${at8("gMatched", gId(`${at4("mr", get("q"))} i32.load`))} ${set("p")}
    ${get("p")} ${get("p")} f64.load f64.const 1 f64.add f64.store
    ${get("q")} i32.const 1 i32.add ${set("q")}
    br $cl
  end end
  i32.const 0 ${set("g")}
  block $d loop $dl
    ${get("g")} ${get("nG")} i32.ge_s br_if $d
    ${at4("notPrev", get("g"))} ${at8("prevTs", get("g"))} f64.load local.tee $prev ${get("prev")} f64.ne i32.store
    ${get("g")} i32.const 1 i32.add ${set("g")}
    br $dl
  end end
  i32.const 0 ${set("q")}
  block $e loop $el
    ${get("q")} ${get("K")} i32.ge_s br_if $e
    ${at8("prevTr", gId(`${at4("mr", get("q"))} i32.load`))} ${tId(`${at4("mc", get("q"))} i32.load`)} f64.convert_i32_s f64.store
    ${get("q")} i32.const 1 i32.add ${set("q")}
    br $el
  end end
  i32.const 0 ${set("g")}
  block $f loop $fl
    ${get("g")} ${get("nG")} i32.ge_s br_if $f
    ${at8("prevTs", get("g"))} f64.const nan f64.store
    ${get("g")} i32.const 1 i32.add ${set("g")}
    br $fl
  end end
  i32.const 0 ${set("q")}
  block $h loop $hl
    ${get("q")} ${get("K")} i32.ge_s br_if $h
    ${gId(`${at4("mr", get("q"))} i32.load`)} ${set("g")}
    ${at8("prevTs", get("g"))} ${tId(`${at4("mc", get("q"))} i32.load`)} f64.convert_i32_s f64.store
    ${at4("notPrev", get("g"))} i32.load
    if ${at8("gFrag", get("g"))} ${at8("gFrag", get("g"))} f64.load f64.const 1 f64.add f64.store end
    ${get("q")} i32.const 1 i32.add ${set("q")}
    br $hl
  end end
  ${clrAdd(0, `${get("K")} f64.convert_i32_s`)}
  ${clrAdd(1, `${get("G")} ${get("K")} i32.sub f64.convert_i32_s`)}
  ${clrAdd(2, `${get("H")} ${get("K")} i32.sub f64.convert_i32_s`)}
  ${get("K")} i32.const 0 i32.gt_s
  if
    f64.const 0 ${set("sum")}
    i32.const 0 ${set("q")}
    block $m loop $ml
      ${get("q")} ${get("K")} i32.ge_s br_if $m
      ${get("sum")} ${at8("ms", get("q"))} f64.load f64.add ${set("sum")}
      ${get("q")} i32.const 1 i32.add ${set("q")}
      br $ml
    end end
    ${clrAdd(4, get("sum"))}
  end`,
};

// ---- MOT preprocessing (`preprocessFrame` of ./preprocess, for every frame of a sequence) ----
// Inputs: the IoU entries of ./kernels copied as they are (16-byte records: GT row i32, tracker column i32 at +4,
// IoU f64 at +8; frame t's at eEnd[t] .. eEnd[t + 1] - 1, row-major), per frame starts (gS, tS) into the GT columns
// (gIdsIn, gCls, gConf) and tracker columns (tIdsIn, tCls), the distractor class table (dist, 14 i32) and doPre.
// Outputs: kept similarities (simStart / simRows / simCols / simVals, nSim entries) and kept ids of every frame
// in two flat arrays (gOut, tOut; frame t's at the previous frames' kept counts), both in the same order as the JS.

/** Thresholds of TrackEval's distractor matching, as the JS computes them (0.5 - eps and 0 + eps). */
const HALF_MINUS_EPS = 0.5 - 2.220446049250313e-16;
const ZERO_PLUS_EPS = 0 + 2.220446049250313e-16;

/** Frame t's detection count of starts field `f` (pushes an i32). */
const count = (f: Field) => `${at4(f, `${get("t")} i32.const 1 i32.add`)} i32.load ${at4(f, get("t"))} i32.load i32.sub`;

/**
 * Removes tracker boxes matched to distractor GT: for each matched pair (mr, mc; m of them) whose positive-list value
 * (binary search as `entryValue`, 0 when absent) is >= 0.5 - eps and > eps on a distractor row, newCol[col] = 1.
 */
const prepRemove: WatFunction = {
  name: "prepRemove",
  params: [["ctx", "i32"], ["t", "i32"], ["m", "i32"]],
  locals: [["H", "i32"], ["g0", "i32"], ["n", "i32"], ["k", "i32"], ["r", "i32"], ["c", "i32"], ["lo", "i32"], ["hi", "i32"], ["mid", "i32"], ["key", "i32"], ["kk", "i32"], ["v", "f64"]],
  exported: false,
  body: `
  ${count("tS")} ${set("H")}
  ${at4("gS", get("t"))} i32.load ${set("g0")}
  ${ctx("npos")} ${set("n")}
  i32.const 0 ${set("k")}
  block $done loop $pairs
    ${get("k")} ${get("m")} i32.ge_s br_if $done
    ${at4("mr", get("k"))} i32.load ${set("r")}
    ${at4("mc", get("k"))} i32.load ${set("c")}
    f64.const 0 ${set("v")}
    i32.const 0 ${set("lo")}
    ${get("n")} i32.const 1 i32.sub ${set("hi")}
    ${get("r")} ${get("H")} i32.mul ${get("c")} i32.add ${set("key")}
    block $found loop $bs
      ${get("lo")} ${get("hi")} i32.gt_s br_if $found
      ${get("lo")} ${get("hi")} i32.add i32.const 1 i32.shr_s ${set("mid")}
      ${at4("pr", get("mid"))} i32.load ${get("H")} i32.mul ${at4("pc", get("mid"))} i32.load i32.add ${set("kk")}
      ${get("kk")} ${get("key")} i32.eq
      if ${at8("pv", get("mid"))} f64.load ${set("v")} br $found end
      ${get("kk")} ${get("key")} i32.lt_s
      if ${get("mid")} i32.const 1 i32.add ${set("lo")}
      else ${get("mid")} i32.const 1 i32.sub ${set("hi")} end
      br $bs
    end end
    ${get("v")} f64.const ${HALF_MINUS_EPS} f64.ge
    ${get("v")} f64.const ${ZERO_PLUS_EPS} f64.gt i32.and
    ${at4("dist", `${at4("gCls", `${get("g0")} ${get("r")} i32.add`)} i32.load`)} i32.load i32.const 1 i32.eq i32.and
    if ${at4("newCol", get("c"))} i32.const 1 i32.store end
    ${get("k")} i32.const 1 i32.add ${set("k")}
    br $pairs
  end end`,
};

/** Step 4 of frame t: numbers kept rows / columns (newCol 1 = removed) and appends kept entries and ids. */
const prepFinish: WatFunction = {
  name: "prepFinish",
  params: [["ctx", "i32"], ["t", "i32"]],
  locals: [["G", "i32"], ["H", "i32"], ["g0", "i32"], ["h0", "i32"], ["i", "i32"], ["e", "i32"], ["e1", "i32"], ["a", "i32"], ["b", "i32"], ["n", "i32"], ["K", "i32"], ["p", "i32"], ["o", "i32"], ["doPre", "i32"]],
  exported: false,
  body: `
  ${count("gS")} ${set("G")}
  ${count("tS")} ${set("H")}
  ${at4("gS", get("t"))} i32.load ${set("g0")}
  ${at4("tS", get("t"))} i32.load ${set("h0")}
  ${ctx("doPre")} ${set("doPre")}
  ;; kept GT: non-zero mark and (without preprocessing) any class, else the pedestrian class
  i32.const 0 ${set("K")}
  i32.const 0 ${set("i")}
  block $r loop $rl
    ${get("i")} ${get("G")} i32.ge_s br_if $r
    ${at8("gConf", `${get("g0")} ${get("i")} i32.add`)} f64.load f64.const 0 f64.ne
    ${get("doPre")} i32.eqz ${at4("gCls", `${get("g0")} ${get("i")} i32.add`)} i32.load i32.const 1 i32.eq i32.or
    i32.and
    if
      ${at4("newRow", get("i"))} ${get("K")} i32.store
      ${get("K")} i32.const 1 i32.add ${set("K")}
    else
      ${at4("newRow", get("i"))} i32.const -1 i32.store
    end
    ${get("i")} i32.const 1 i32.add ${set("i")}
    br $rl
  end end
  ;; GT ids of the kept rows
  ${ctx("nGk")} ${set("o")}
  i32.const 0 ${set("i")}
  block $gi loop $gil
    ${get("i")} ${get("G")} i32.ge_s br_if $gi
    ${at4("newRow", get("i"))} i32.load local.tee $a i32.const 0 i32.ge_s
    if ${at4("gOut", `${get("o")} ${get("a")} i32.add`)} ${at4("gIdsIn", `${get("g0")} ${get("i")} i32.add`)} i32.load i32.store end
    ${get("i")} i32.const 1 i32.add ${set("i")}
    br $gil
  end end
  ${get("ctx")} ${get("o")} ${get("K")} i32.add i32.store offset=${4 * F.nGk}
  ${at4("gOutS", `${get("t")} i32.const 1 i32.add`)} ${get("o")} ${get("K")} i32.add i32.store
  ;; kept tracker columns (newCol 1 = removed)
  i32.const 0 ${set("K")}
  i32.const 0 ${set("i")}
  block $c loop $cl
    ${get("i")} ${get("H")} i32.ge_s br_if $c
    ${at4("newCol", get("i"))} i32.load i32.const 1 i32.eq
    if
      ${at4("newCol", get("i"))} i32.const -1 i32.store
    else
      ${at4("newCol", get("i"))} ${get("K")} i32.store
      ${get("K")} i32.const 1 i32.add ${set("K")}
    end
    ${get("i")} i32.const 1 i32.add ${set("i")}
    br $cl
  end end
  ${ctx("nHk")} ${set("o")}
  i32.const 0 ${set("i")}
  block $ti loop $til
    ${get("i")} ${get("H")} i32.ge_s br_if $ti
    ${at4("newCol", get("i"))} i32.load local.tee $a i32.const 0 i32.ge_s
    if ${at4("tOut", `${get("o")} ${get("a")} i32.add`)} ${at4("tIdsIn", `${get("h0")} ${get("i")} i32.add`)} i32.load i32.store end
    ${get("i")} i32.const 1 i32.add ${set("i")}
    br $til
  end end
  ${get("ctx")} ${get("o")} ${get("K")} i32.add i32.store offset=${4 * F.nHk}
  ${at4("tOutS", `${get("t")} i32.const 1 i32.add`)} ${get("o")} ${get("K")} i32.add i32.store
  ;; kept entries, row-major order preserved
  ${ctx("nSim")} ${set("n")}
  ${at4("eEnd", get("t"))} i32.load ${set("e")}
  ${at4("eEnd", `${get("t")} i32.const 1 i32.add`)} i32.load ${set("e1")}
  block $s loop $sl
    ${get("e")} ${get("e1")} i32.ge_s br_if $s
    ${ctx("recs")} ${get("e")} i32.const 4 i32.shl i32.add ${set("p")}
    ${at4("newRow", `${get("p")} i32.load`)} i32.load ${set("a")}
    ${at4("newCol", `${get("p")} i32.load offset=4`)} i32.load ${set("b")}
    ${get("a")} i32.const 0 i32.ge_s ${get("b")} i32.const 0 i32.ge_s i32.and
    if
      ${at4("simRows", get("n"))} ${get("a")} i32.store
      ${at4("simCols", get("n"))} ${get("b")} i32.store
      ${at8("simVals", get("n"))} ${get("p")} f64.load offset=8 f64.store
      ${get("n")} i32.const 1 i32.add ${set("n")}
    end
    ${get("e")} i32.const 1 i32.add ${set("e")}
    br $sl
  end end
  ${get("ctx")} ${get("n")} i32.store offset=${4 * F.nSim}
  ${at4("simStart", `${get("t")} i32.const 1 i32.add`)} ${get("n")} i32.store`,
};

/**
 * Frames t0.. of the sequence. Returns T when done; -1 / -2 for a tracker / GT class error (frame errT, frame-local
 * detection errK); else a frame whose distractor matching `match` could not prove: its positive list is in
 * (pr, pc, pv; npos) and G / H are set, and the caller solves it and calls `prepResume` before going on at t + 1.
 */
const prep: WatFunction = {
  name: "prep",
  params: [["ctx", "i32"], ["t0", "i32"]],
  result: "i32",
  locals: [["t", "i32"], ["T", "i32"], ["G", "i32"], ["H", "i32"], ["g0", "i32"], ["h0", "i32"], ["i", "i32"], ["c", "i32"], ["e", "i32"], ["e1", "i32"], ["n", "i32"], ["any", "i32"], ["m", "i32"], ["p", "i32"], ["z", "i32"], ["v", "f64"]],
  body: `
  ${ctx("T")} ${set("T")}
  ${get("t0")} ${set("t")}
  block $done loop $frames
    ${get("t")} ${get("T")} i32.ge_s br_if $done
    ${count("gS")} ${set("G")}
    ${count("tS")} ${set("H")}
    ${at4("gS", get("t"))} i32.load ${set("g0")}
    ${at4("tS", get("t"))} i32.load ${set("h0")}
    ;; only the pedestrian class may be evaluated (tracker rows without a class column have class 1)
    i32.const 0 ${set("i")}
    block $tc loop $tcl
      ${get("i")} ${get("H")} i32.ge_s br_if $tc
      ${at4("tCls", `${get("h0")} ${get("i")} i32.add`)} i32.load i32.const 1 i32.gt_s
      if
        ${get("ctx")} ${get("t")} i32.store offset=${4 * F.errT}
        ${get("ctx")} ${get("i")} i32.store offset=${4 * F.errK}
        i32.const -1 return
      end
      ${get("i")} i32.const 1 i32.add ${set("i")}
      br $tcl
    end end
    ${fill4("newCol", get("H"), 0, "nc")}
    ${ctx("doPre")}
    ${get("G")} i32.const 0 i32.gt_s i32.and
    ${get("H")} i32.const 0 i32.gt_s i32.and
    if
      i32.const 0 ${set("i")}
      block $gc loop $gcl
        ${get("i")} ${get("G")} i32.ge_s br_if $gc
        ${at4("gCls", `${get("g0")} ${get("i")} i32.add`)} i32.load ${set("c")}
        ${get("c")} i32.const 1 i32.lt_s ${get("c")} i32.const 13 i32.gt_s i32.or
        if
          ${get("ctx")} ${get("t")} i32.store offset=${4 * F.errT}
          ${get("ctx")} ${get("i")} i32.store offset=${4 * F.errK}
          i32.const -2 return
        end
        ${get("i")} i32.const 1 i32.add ${set("i")}
        br $gcl
      end end
      ;; the positive list (IoU >= 0.5 - eps) and whether a distractor row is on it
      i32.const 0 ${set("n")}
      i32.const 0 ${set("any")}
      ${at4("eEnd", get("t"))} i32.load ${set("e")}
      ${at4("eEnd", `${get("t")} i32.const 1 i32.add`)} i32.load ${set("e1")}
      block $pl loop $pll
        ${get("e")} ${get("e1")} i32.ge_s br_if $pl
        ${ctx("recs")} ${get("e")} i32.const 4 i32.shl i32.add ${set("p")}
        ${get("p")} f64.load offset=8 local.tee $v f64.const ${HALF_MINUS_EPS} f64.ge
        if
          ${at4("pr", get("n"))} ${get("p")} i32.load local.tee $i i32.store
          ${at4("pc", get("n"))} ${get("p")} i32.load offset=4 i32.store
          ${at8("pv", get("n"))} ${get("v")} f64.store
          ${get("n")} i32.const 1 i32.add ${set("n")}
          ${at4("dist", `${at4("gCls", `${get("g0")} ${get("i")} i32.add`)} i32.load`)} i32.load i32.const 1 i32.eq
          if i32.const 1 ${set("any")} end
        end
        ${get("e")} i32.const 1 i32.add ${set("e")}
        br $pll
      end end
      ${get("any")}
      if
        ${get("ctx")} ${get("n")} i32.store offset=${4 * F.npos}
        ${get("ctx")} ${get("G")} ${get("H")} call $match ${set("m")}
        ${get("m")} i32.const 0 i32.lt_s
        if
          ${get("ctx")} ${get("G")} i32.store offset=${4 * F.G}
          ${get("ctx")} ${get("H")} i32.store offset=${4 * F.H}
          ${get("t")} return
        end
        ${get("ctx")} ${get("t")} ${get("m")} call $prepRemove
      end
    end
    ${get("ctx")} ${get("t")} call $prepFinish
    ${get("t")} i32.const 1 i32.add ${set("t")}
    br $frames
  end end
  ${get("T")}`,
};

/** Frame t after the caller solved its matching (m pairs in mr / mc): the removal and step 4. */
const prepResume: WatFunction = {
  name: "prepResume",
  params: [["ctx", "i32"], ["t", "i32"], ["m", "i32"]],
  body: `
  ${get("ctx")} ${get("t")} ${get("m")} call $prepRemove
  ${get("ctx")} ${get("t")} call $prepFinish`,
};

/** Smallest and largest of the n i32 at address a, into the context fields mn / mx (n >= 1). */
const minmax: WatFunction = {
  name: "minmax",
  params: [["ctx", "i32"], ["a", "i32"], ["n", "i32"]],
  locals: [["i", "i32"], ["x", "i32"], ["lo", "i32"], ["hi", "i32"]],
  body: `
  ${get("a")} i32.load local.tee $lo ${set("hi")}
  i32.const 1 ${set("i")}
  block $d loop $l
    ${get("i")} ${get("n")} i32.ge_s br_if $d
    ${get("a")} ${get("i")} i32.const 2 i32.shl i32.add i32.load ${set("x")}
    ${get("x")} ${get("lo")} i32.lt_s if ${get("x")} ${set("lo")} end
    ${get("x")} ${get("hi")} i32.gt_s if ${get("x")} ${set("hi")} end
    ${get("i")} i32.const 1 i32.add ${set("i")}
    br $l
  end end
  ${get("ctx")} ${get("lo")} i32.store offset=${4 * F.mn}
  ${get("ctx")} ${get("hi")} i32.store offset=${4 * F.mx}`,
};

/**
 * First frame (0-based) in which an id occurs twice, or -1: ids at `ids`, frame t's at starts[t] .. starts[t + 1] - 1;
 * `table` (zeroed, one i32 per id from mn) holds the last frame + 1 each id was seen in (as UniqueIdChecker).
 */
const dupFrame: WatFunction = {
  name: "dupFrame",
  params: [["ids", "i32"], ["starts", "i32"], ["T", "i32"], ["table", "i32"], ["mn", "i32"]],
  result: "i32",
  locals: [["t", "i32"], ["k", "i32"], ["k1", "i32"], ["p", "i32"], ["mark", "i32"]],
  body: `
  block $d loop $frames
    ${get("t")} ${get("T")} i32.ge_s br_if $d
    ${get("t")} i32.const 1 i32.add ${set("mark")}
    ${get("starts")} ${get("t")} i32.const 2 i32.shl i32.add i32.load ${set("k")}
    ${get("starts")} ${get("t")} i32.const 2 i32.shl i32.add i32.load offset=4 ${set("k1")}
    block $fd loop $l
      ${get("k")} ${get("k1")} i32.ge_s br_if $fd
      ${get("table")} ${get("ids")} ${get("k")} i32.const 2 i32.shl i32.add i32.load ${get("mn")} i32.sub i32.const 2 i32.shl i32.add ${set("p")}
      ${get("p")} i32.load ${get("mark")} i32.eq if ${get("t")} return end
      ${get("p")} ${get("mark")} i32.store
      ${get("k")} i32.const 1 i32.add ${set("k")}
      br $l
    end end
    ${get("t")} i32.const 1 i32.add ${set("t")}
    br $frames
  end end
  i32.const -1`,
};

/** Maps the n ids at `ids` (all in mn .. mn + range - 1) to their rank among the distinct ids; `table` zeroed. */
const relabelIds: WatFunction = {
  name: "relabelIds",
  params: [["ids", "i32"], ["n", "i32"], ["table", "i32"], ["mn", "i32"], ["range", "i32"]],
  result: "i32",
  locals: [["k", "i32"], ["p", "i32"], ["c", "i32"]],
  body: `
  block $d loop $l
    ${get("k")} ${get("n")} i32.ge_s br_if $d
    ${get("table")} ${get("ids")} ${get("k")} i32.const 2 i32.shl i32.add i32.load ${get("mn")} i32.sub i32.const 2 i32.shl i32.add i32.const 1 i32.store
    ${get("k")} i32.const 1 i32.add ${set("k")}
    br $l
  end end
  i32.const 0 ${set("k")}
  block $d2 loop $l2
    ${get("k")} ${get("range")} i32.ge_s br_if $d2
    ${get("table")} ${get("k")} i32.const 2 i32.shl i32.add ${set("p")}
    ${get("p")} i32.load if ${get("p")} ${get("c")} i32.store ${get("c")} i32.const 1 i32.add ${set("c")} end
    ${get("k")} i32.const 1 i32.add ${set("k")}
    br $l2
  end end
  i32.const 0 ${set("k")}
  block $d3 loop $l3
    ${get("k")} ${get("n")} i32.ge_s br_if $d3
    ${get("ids")} ${get("k")} i32.const 2 i32.shl i32.add ${set("p")}
    ${get("p")} ${get("table")} ${get("p")} i32.load ${get("mn")} i32.sub i32.const 2 i32.shl i32.add i32.load i32.store
    ${get("k")} i32.const 1 i32.add ${set("k")}
    br $l3
  end end
  ${get("c")}`,
};

interface FrameKernelExports {
  memory: WebAssembly.Memory;
  align(ctx: number): void;
  frames(ctx: number, t: number): number;
  accumulate(ctx: number, t: number, n: number): void;
  clearFrames(ctx: number, t: number): number;
  clearApply(ctx: number, t: number, n: number): void;
  match(ctx: number, G: number, H: number): number;
  prep(ctx: number, t: number): number;
  prepResume(ctx: number, t: number, m: number): void;
  minmax(ctx: number, a: number, n: number): void;
  dupFrame(ids: number, starts: number, T: number, table: number, mn: number): number;
  relabelIds(ids: number, n: number, table: number, mn: number, range: number): number;
}

let instance: FrameKernelExports | null = null;
function kernels(): FrameKernelExports {
  if (!instance) {
    const module = new WebAssembly.Module(assembleModule([align, frames, accumulate, clearFrames, clearApply, match, enumerate, find, prep, prepResume, prepRemove, prepFinish, minmax, dupFrame, relabelIds], 1));
    instance = new WebAssembly.Instance(module).exports as unknown as FrameKernelExports;
  }
  return instance;
}

/** A sequence as the kernels read it (TrackingSequence fields plus its sparse similarity). */
export interface FrameKernelInput {
  numTimesteps: number;
  numGtIds: number;
  numTrackerIds: number;
  gtIds: readonly Int32Array[];
  trackerIds: readonly Int32Array[];
  /** Sparse similarity, frame t's entries at start[t] .. start[t + 1] - 1 (row-major). */
  start: Int32Array;
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
}

/** Id-pair tables up to this size are dense (as PairTable in ../hota); larger ones stay on the JS path. */
export const HOTA_KERNEL_MAX_PAIRS = 1 << 22;

interface Loaded {
  k: FrameKernelExports;
  i32: Int32Array;
  f64: Float64Array;
  /** Byte address of each array. */
  at: Partial<Record<Field, number>>;
}

/**
 * Lays the sequence out in kernel memory (everything else zeroed, so nothing of an earlier call leaks in), with the
 * HOTA id-pair tables only when `hota` is set.
 */
function load(d: FrameKernelInput, hota: boolean): Loaded {
  const k = kernels();
  const T = d.numTimesteps;
  const nPairs = hota ? d.numGtIds * d.numTrackerIds : 0;
  let totalG = 0;
  let totalH = 0;
  let maxG = 1;
  let maxH = 1;
  let maxE = 1;
  let sumMin = 0;
  for (let t = 0; t < T; t++) {
    const G = d.gtIds[t].length;
    const H = d.trackerIds[t].length;
    totalG += G;
    totalH += H;
    if (G > maxG) maxG = G;
    if (H > maxH) maxH = H;
    if (d.start[t + 1] - d.start[t] > maxE) maxE = d.start[t + 1] - d.start[t];
    sumMin += Math.min(G, H);
  }
  const nE = d.values.length;
  const nG = d.numGtIds;
  let top = HEAP;
  const at: Partial<Record<Field, number>> = {};
  const alloc = (f: Field, bytes: number) => {
    top = (top + 7) & ~7;
    at[f] = top;
    top += bytes;
  };
  alloc("spStart", 4 * (T + 1));
  alloc("spRows", 4 * nE);
  alloc("spCols", 4 * nE);
  alloc("spVals", 8 * nE);
  alloc("gStart", 4 * (T + 1));
  alloc("gIds", 4 * totalG);
  alloc("tStart", 4 * (T + 1));
  alloc("tIds", 4 * totalH);
  alloc("align", 8 * nPairs);
  alloc("slot", 4 * nPairs);
  alloc("counts", 4 * NA * Math.min(nPairs, sumMin));
  alloc("thr", 8 * NA);
  alloc("acc", 8 * 4 * NA);
  alloc("frameLoc", 8 * NA);
  alloc("frameTp", 4 * NA);
  alloc("pr", 4 * maxE);
  alloc("pc", 4 * maxE);
  alloc("pv", 8 * maxE);
  alloc("rowCount", 4 * maxG);
  alloc("colCount", 4 * maxH);
  alloc("parent", 4 * (maxG + maxH));
  alloc("head", 4 * (maxG + maxH));
  alloc("tail", 4 * (maxG + maxH));
  alloc("next", 4 * maxE);
  alloc("chosenCol", 4 * maxG);
  alloc("used", 4 * maxH);
  alloc("compEntries", 4 * 16);
  alloc("compRowStart", 4 * 8);
  alloc("chosen", 4 * 8);
  alloc("bestChosen", 4 * 8);
  alloc("best", 16);
  alloc("mr", 4 * maxG);
  alloc("mc", 4 * maxG);
  alloc("ms", 8 * maxG);
  alloc("rowSum", 8 * maxG);
  alloc("colSum", 8 * maxH);
  alloc("gCount", 8 * nG);
  alloc("tCount", 8 * d.numTrackerIds);
  alloc("prevTr", 8 * nG);
  alloc("prevTs", 8 * nG);
  alloc("gMatched", 8 * nG);
  alloc("gFrag", 8 * nG);
  alloc("notPrev", 4 * nG);
  alloc("clr", 8 * 6);
  const have = k.memory.buffer.byteLength;
  if (top > have) k.memory.grow(Math.ceil((top - have) / 65536));
  const buf = k.memory.buffer;
  const i32 = new Int32Array(buf);
  const f64 = new Float64Array(buf);
  new Uint8Array(buf, CTX, top - CTX).fill(0);
  for (const [f, v] of Object.entries(at) as [Field, number][]) i32[(CTX >> 2) + F[f]] = v;
  i32[(CTX >> 2) + F.T] = T;
  i32[(CTX >> 2) + F.nT] = d.numTrackerIds;
  i32[(CTX >> 2) + F.nG] = nG;
  const p = (f: Field) => at[f]!;
  i32.set(d.start.subarray(0, T + 1), p("spStart") >> 2);
  i32.set(d.rows.subarray(0, nE), p("spRows") >> 2);
  i32.set(d.cols.subarray(0, nE), p("spCols") >> 2);
  f64.set(d.values, p("spVals") >> 3);
  let g = 0;
  let h = 0;
  for (let t = 0; t < T; t++) {
    i32[(p("gStart") >> 2) + t] = g;
    i32[(p("tStart") >> 2) + t] = h;
    g += d.gtIds[t].length;
    h += d.trackerIds[t].length;
  }
  // The ids: one copy each when the frames are views of one array (as ./preprocess makes them).
  for (const [frames, ids, starts] of [[d.gtIds, p("gIds"), p("gStart")], [d.trackerIds, p("tIds"), p("tStart")]] as const) {
    const all = joinedView(frames);
    if (all) i32.set(all, ids >> 2);
    else for (let t = 0; t < T; t++) i32.set(frames[t], (ids >> 2) + i32[(starts >> 2) + t]);
  }
  i32[(p("gStart") >> 2) + T] = g;
  i32[(p("tStart") >> 2) + T] = h;
  return { k, i32, f64, at };
}

/**
 * Runs a frame loop (`run(ctx, t)` returning the first frame it could not prove, or T), solving each handed-back
 * frame with scipy's solver on the dense -score matrix, as TrackEval, and applying the pairs with `apply`.
 */
function runFrames(l: Loaded, T: number, run: (ctx: number, t: number) => number, apply: (ctx: number, t: number, n: number) => void): void {
  const { i32, f64, at } = l;
  for (let t = run(CTX, 0); t < T; t = run(CTX, t + 1)) {
    const G = i32[(CTX >> 2) + F.G];
    const H = i32[(CTX >> 2) + F.H];
    const n = i32[(CTX >> 2) + F.npos];
    const pr = at.pr! >> 2;
    const pc = at.pc! >> 2;
    const pv = at.pv! >> 3;
    const neg = new Float64Array(G * H);
    for (let e = 0; e < n; e++) neg[i32[pr + e] * H + i32[pc + e]] = -f64[pv + e];
    const { rows, cols } = linearSumAssignment(neg, G, H);
    i32.set(rows, at.mr! >> 2);
    i32.set(cols, at.mc! >> 2);
    apply(CTX, t, rows.length);
  }
}

/** What pass 2 of HOTA produces (see `matchFrames` in ../hota). */
export interface HotaMatchTotals {
  tp: Float64Array;
  fn: Float64Array;
  fp: Float64Array;
  loc: Float64Array;
  /** Matched id pairs (key g * nT + h) ascending, and where each one's 19 TP counts start in `counts`. */
  keys: number[];
  offsets: number[];
  counts: Int32Array;
}

/** Both passes and the per-id detection counts (the counts as `globalAlignment` fills them). */
export interface HotaPasses extends HotaMatchTotals {
  gtIdCount: Float64Array;
  trackerIdCount: Float64Array;
}

/**
 * HOTA passes 1 and 2 (numGtIds x numTrackerIds <= HOTA_KERNEL_MAX_PAIRS); `thresholds`: alpha - eps per alpha,
 * ascending.
 */
export function hotaPasses(d: FrameKernelInput, thresholds: readonly number[]): HotaPasses {
  const nPairs = d.numGtIds * d.numTrackerIds;
  if (nPairs > HOTA_KERNEL_MAX_PAIRS) throw new RangeError(`hotaPasses: ${nPairs} id pairs, at most ${HOTA_KERNEL_MAX_PAIRS}`);
  const l = load(d, true);
  const { k, i32, f64, at } = l;
  const p = (f: Field) => at[f]!;
  f64.set(thresholds, p("thr") >> 3);
  k.align(CTX);
  runFrames(l, d.numTimesteps, k.frames, k.accumulate);
  const acc = f64.subarray(p("acc") >> 3, (p("acc") >> 3) + 4 * NA);
  const keys: number[] = [];
  const offsets: number[] = [];
  const slot = i32.subarray(p("slot") >> 2, (p("slot") >> 2) + nPairs);
  for (let key = 0; key < nPairs; key++) {
    if (slot[key] !== 0) {
      keys.push(key);
      offsets.push((slot[key] - 1) * NA);
    }
  }
  const nSlots = i32[(CTX >> 2) + F.nSlots];
  return {
    gtIdCount: f64.slice(p("gCount") >> 3, (p("gCount") >> 3) + d.numGtIds),
    trackerIdCount: f64.slice(p("tCount") >> 3, (p("tCount") >> 3) + d.numTrackerIds),
    tp: acc.slice(0, NA),
    fn: acc.slice(NA, 2 * NA),
    fp: acc.slice(2 * NA, 3 * NA),
    loc: acc.slice(3 * NA, 4 * NA),
    keys,
    offsets,
    counts: i32.slice(p("counts") >> 2, (p("counts") >> 2) + NA * nSlots),
  };
}

/** What CLEAR's frame loop produces (see `evalClearSequence` in ../clear). */
export interface ClearFrameTotals {
  tp: number;
  fn: number;
  fp: number;
  idsw: number;
  motpSum: number;
  /** Per GT id: detections, matched detections, starts of tracked runs. */
  gtIdCount: Float64Array;
  gtMatchedCount: Float64Array;
  gtFragCount: Float64Array;
}

/** CLEAR's frame loop; `minSimilarity` is threshold - eps and must be > 0 (zero similarities never qualify). */
export function clearPass(d: FrameKernelInput, minSimilarity: number): ClearFrameTotals {
  if (!(minSimilarity > 0)) throw new RangeError("clearPass: the similarity threshold must be positive");
  const l = load(d, false);
  const { k, f64, at } = l;
  const p = (f: Field) => at[f]!;
  const nG = d.numGtIds;
  f64.fill(NaN, p("prevTr") >> 3, (p("prevTr") >> 3) + nG);
  f64.fill(NaN, p("prevTs") >> 3, (p("prevTs") >> 3) + nG);
  const clrAt = p("clr") >> 3;
  f64[clrAt + 5] = minSimilarity;
  runFrames(l, d.numTimesteps, k.clearFrames, k.clearApply);
  return {
    tp: f64[clrAt],
    fn: f64[clrAt + 1],
    fp: f64[clrAt + 2],
    idsw: f64[clrAt + 3],
    motpSum: f64[clrAt + 4],
    gtIdCount: f64.slice(p("gCount") >> 3, (p("gCount") >> 3) + nG),
    gtMatchedCount: f64.slice(p("gMatched") >> 3, (p("gMatched") >> 3) + nG),
    gtFragCount: f64.slice(p("gFrag") >> 3, (p("gFrag") >> 3) + nG),
  };
}

/** `uniquePositiveMatchingSparse` (../assignment) in the kernel, on a list written straight into kernel memory. */
export interface PositiveMatcher {
  /** The list: entry e is (rows[e], cols[e], values[e]), row-major, values > 0. */
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
  /**
   * Matched pairs (rows ascending) of the first n entries of a G x H frame, or null when the matching cannot be
   * proved (the caller then runs `linearSumAssignment`). Views valid until the next call.
   */
  solve(n: number, G: number, H: number): { rows: Int32Array; cols: Int32Array } | null;
}

/** A matcher for frames of at most maxG x maxH with at most maxEntries entries (valid until another kernel call). */
export function positiveMatcher(maxG: number, maxH: number, maxEntries: number): PositiveMatcher {
  const k = kernels();
  maxG = Math.max(1, maxG);
  maxH = Math.max(1, maxH);
  maxEntries = Math.max(1, maxEntries);
  let top = HEAP;
  const at: Partial<Record<Field, number>> = {};
  const alloc = (f: Field, bytes: number) => {
    top = (top + 7) & ~7;
    at[f] = top;
    top += bytes;
  };
  alloc("pr", 4 * maxEntries);
  alloc("pc", 4 * maxEntries);
  alloc("pv", 8 * maxEntries);
  alloc("rowCount", 4 * maxG);
  alloc("colCount", 4 * maxH);
  alloc("parent", 4 * (maxG + maxH));
  alloc("head", 4 * (maxG + maxH));
  alloc("tail", 4 * (maxG + maxH));
  alloc("next", 4 * maxEntries);
  alloc("chosenCol", 4 * maxG);
  alloc("used", 4 * maxH);
  alloc("compEntries", 4 * 16);
  alloc("compRowStart", 4 * 8);
  alloc("chosen", 4 * 8);
  alloc("bestChosen", 4 * 8);
  alloc("best", 16);
  alloc("mr", 4 * maxG);
  alloc("mc", 4 * maxG);
  const have = k.memory.buffer.byteLength;
  if (top > have) k.memory.grow(Math.ceil((top - have) / 65536));
  const buf = k.memory.buffer;
  const i32 = new Int32Array(buf);
  new Uint8Array(buf, CTX, top - CTX).fill(0);
  for (const [f, v] of Object.entries(at) as [Field, number][]) i32[(CTX >> 2) + F[f]] = v;
  const mr = at.mr! >> 2;
  const mc = at.mc! >> 2;
  return {
    rows: new Int32Array(buf, at.pr!, maxEntries),
    cols: new Int32Array(buf, at.pc!, maxEntries),
    values: new Float64Array(buf, at.pv!, maxEntries),
    solve(n, G, H) {
      if (n > maxEntries || G > maxG || H > maxH) throw new RangeError("positiveMatcher: frame larger than planned");
      i32[(CTX >> 2) + F.npos] = n;
      const m = k.match(CTX, G, H);
      return m < 0 ? null : { rows: i32.subarray(mr, mr + m), cols: i32.subarray(mc, mc + m) };
    },
  };
}

/** One side's raw detections as columns: frame t's at ends[t] .. ends[t + 1] - 1 (see MotColumns in ./kernels). */
export interface PrepColumns {
  ends: Int32Array;
  ids: Int32Array;
  classes: Int32Array;
  conf: Float64Array;
}

/** What `prepSequence` reads: raw detections, the IoU entries of ./kernels (`sequenceIous`) and the options. */
export interface PrepInput {
  gt: PrepColumns;
  tracker: PrepColumns;
  /** Frame t's entries at frameEnd[t] .. frameEnd[t + 1] - 1; entry e: row rowCol[4e], column rowCol[4e + 1], IoU value[2e + 1]. */
  frameEnd: Int32Array;
  rowCol: Int32Array;
  value: Float64Array;
  doPreproc: boolean;
  /** 1 at the distractor class ids (14 entries: classes 1..13). */
  distractors: Uint8Array;
  /** Check that no id occurs twice in a frame (TrackEval does, before anything else; tracker first in each frame). */
  checkTrackerIds: boolean;
  checkGtIds: boolean;
}

/** Which side a finding is about. */
export type PrepSide = "gt" | "tracker";

/** Kept similarities and relabelled ids of every frame (fresh arrays), or the first problem met. */
export type PrepResult =
  | {
      kind: "ok";
      simStart: Int32Array;
      simRows: Int32Array;
      simCols: Int32Array;
      simValues: Float64Array;
      /** Kept ids, frame t's at idStart[t] .. idStart[t + 1] - 1, relabelled to 0..numIds-1 (numIds -1: not relabelled, ids too far apart for a table). */
      gtIds: Int32Array;
      gtStart: Int32Array;
      numGtIds: number;
      trackerIds: Int32Array;
      trackerStart: Int32Array;
      numTrackerIds: number;
    }
  /** Frame t (0-based) repeats an id. */
  | { kind: "duplicateId"; side: PrepSide; t: number }
  /** Ids too far apart for the duplicate check's table: check them in JS and call again without the check. */
  | { kind: "idRange" }
  /** Frame t, detection k of the frame: a tracker class other than 1, or a GT class outside 1..13. */
  | { kind: "class"; side: PrepSide; t: number; k: number }
  /** A kept id below 0 (the smallest one). */
  | { kind: "negativeId"; side: PrepSide; value: number };

/** Ids further apart than this are not put in tables (as ./preprocess). */
const ID_TABLE_MAX = 1 << 22;

/**
 * `preprocessFrame` of ./preprocess for every frame in the kernel (`prep`): distractor removal with the same matching
 * (the kernel's proof, else scipy's solver here on the dense -score matrix), then the kept entries and ids; before
 * that the duplicate-id check, after it the relabelling (both as ./preprocess, in the kernel when ids fit a table).
 */
export function prepSequence(d: PrepInput): PrepResult {
  const k = kernels();
  const T = d.gt.ends.length - 1;
  const nG = d.gt.ends[T];
  const nH = d.tracker.ends[T];
  let maxG = 1;
  let maxH = 1;
  let maxE = 1;
  for (let t = 0; t < T; t++) {
    const G = d.gt.ends[t + 1] - d.gt.ends[t];
    const H = d.tracker.ends[t + 1] - d.tracker.ends[t];
    if (G > maxG) maxG = G;
    if (H > maxH) maxH = H;
    if (d.frameEnd[t + 1] - d.frameEnd[t] > maxE) maxE = d.frameEnd[t + 1] - d.frameEnd[t];
  }
  const nE = d.frameEnd[T];
  let top = HEAP;
  const at: Partial<Record<Field, number>> = {};
  const alloc = (f: Field, bytes: number) => {
    top = (top + 7) & ~7;
    at[f] = top;
    top += bytes;
  };
  alloc("recs", 16 * nE);
  alloc("eEnd", 4 * (T + 1));
  alloc("gS", 4 * (T + 1));
  alloc("tS", 4 * (T + 1));
  alloc("gConf", 8 * nG);
  alloc("gIdsIn", 4 * nG);
  alloc("gCls", 4 * nG);
  alloc("tIdsIn", 4 * nH);
  alloc("tCls", 4 * nH);
  alloc("dist", 4 * 14);
  alloc("newRow", 4 * maxG);
  alloc("newCol", 4 * maxH);
  alloc("simStart", 4 * (T + 1));
  alloc("simRows", 4 * nE);
  alloc("simCols", 4 * nE);
  alloc("simVals", 8 * nE);
  alloc("gOut", 4 * nG);
  alloc("tOut", 4 * nH);
  alloc("gOutS", 4 * (T + 1));
  alloc("tOutS", 4 * (T + 1));
  // What `match` uses (zeroed below, as it expects).
  alloc("pr", 4 * maxE);
  alloc("pc", 4 * maxE);
  alloc("pv", 8 * maxE);
  alloc("rowCount", 4 * maxG);
  alloc("colCount", 4 * maxH);
  alloc("parent", 4 * (maxG + maxH));
  alloc("head", 4 * (maxG + maxH));
  alloc("tail", 4 * (maxG + maxH));
  alloc("next", 4 * maxE);
  alloc("chosenCol", 4 * maxG);
  alloc("used", 4 * maxH);
  alloc("compEntries", 4 * 16);
  alloc("compRowStart", 4 * 8);
  alloc("chosen", 4 * 8);
  alloc("bestChosen", 4 * 8);
  alloc("best", 16);
  alloc("mr", 4 * maxG);
  alloc("mc", 4 * maxG);
  // The id tables (duplicate check, relabelling) go after everything, sized when the id range is known.
  const tableAt = (top + 7) & ~7;
  const reserve = (bytes: number) => {
    const have = k.memory.buffer.byteLength;
    if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
  };
  reserve(tableAt);
  let buf = k.memory.buffer;
  let i32 = new Int32Array(buf);
  let f64 = new Float64Array(buf);
  let u8 = new Uint8Array(buf);
  // Only the context and the matcher's scratch need zeroing; every other region is written in full before it is read.
  u8.fill(0, CTX, HEAP);
  u8.fill(0, at.pr!, top);
  for (const [f, v] of Object.entries(at) as [Field, number][]) i32[(CTX >> 2) + F[f]] = v;
  const p = (f: Field) => at[f]!;
  i32[(CTX >> 2) + F.T] = T;
  i32[(CTX >> 2) + F.doPre] = d.doPreproc ? 1 : 0;
  u8.set(new Uint8Array(d.rowCol.buffer, d.rowCol.byteOffset, 16 * nE), p("recs"));
  i32.set(d.frameEnd.subarray(0, T + 1), p("eEnd") >> 2);
  for (let c = 0; c < 14; c++) i32[(p("dist") >> 2) + c] = d.distractors[c];
  const gS = p("gS") >> 2;
  const tS = p("tS") >> 2;
  i32.set(d.gt.ends.subarray(0, T + 1), gS);
  i32.set(d.tracker.ends.subarray(0, T + 1), tS);
  i32.set(d.gt.ids.subarray(0, nG), p("gIdsIn") >> 2);
  i32.set(d.gt.classes.subarray(0, nG), p("gCls") >> 2);
  f64.set(d.gt.conf.subarray(0, nG), p("gConf") >> 3);
  i32.set(d.tracker.ids.subarray(0, nH), p("tIdsIn") >> 2);
  i32.set(d.tracker.classes.subarray(0, nH), p("tCls") >> 2);

  /** min and max of n ids at address a (n >= 1). */
  const range = (a: number, n: number): [number, number] => {
    k.minmax(CTX, a, n);
    return [i32[(CTX >> 2) + F.mn], i32[(CTX >> 2) + F.mx]];
  };
  /** A zeroed table of n i32 at tableAt (views refreshed when the memory grows). */
  const table = (n: number) => {
    reserve(tableAt + 4 * n);
    if (k.memory.buffer !== buf) {
      buf = k.memory.buffer;
      i32 = new Int32Array(buf);
      f64 = new Float64Array(buf);
      u8 = new Uint8Array(buf);
    }
    u8.fill(0, tableAt, tableAt + 4 * n);
  };
  /** First frame repeating an id, -1 for none, null when the ids are too far apart for a table. */
  const firstDuplicate = (ids: number, starts: number, n: number): number | null => {
    if (n === 0) return -1;
    const [lo, hi] = range(ids, n);
    if (hi - lo >= ID_TABLE_MAX) return null;
    table(hi - lo + 1);
    return k.dupFrame(ids, starts << 2, T, tableAt, lo);
  };
  if (d.checkTrackerIds || d.checkGtIds) {
    const tf = d.checkTrackerIds ? firstDuplicate(p("tIdsIn"), tS, nH) : -1;
    const gf = d.checkGtIds ? firstDuplicate(p("gIdsIn"), gS, nG) : -1;
    if (tf === null || gf === null) return { kind: "idRange" };
    // Frame by frame, the tracker's ids are checked before the GT's.
    if (tf >= 0 && (gf < 0 || tf <= gf)) return { kind: "duplicateId", side: "tracker", t: tf };
    if (gf >= 0) return { kind: "duplicateId", side: "gt", t: gf };
  }

  i32[p("simStart") >> 2] = 0;
  i32[p("gOutS") >> 2] = 0;
  i32[p("tOutS") >> 2] = 0;
  for (let t = k.prep(CTX, 0); t !== T; t = k.prep(CTX, t + 1)) {
    if (t < 0) return { kind: "class", side: t === -1 ? "tracker" : "gt", t: i32[(CTX >> 2) + F.errT], k: i32[(CTX >> 2) + F.errK] };
    // The kernel could not prove this frame's matching: scipy's solver on the dense -score matrix, as TrackEval.
    const G = i32[(CTX >> 2) + F.G];
    const H = i32[(CTX >> 2) + F.H];
    const n = i32[(CTX >> 2) + F.npos];
    const pr = p("pr") >> 2;
    const pc = p("pc") >> 2;
    const pv = p("pv") >> 3;
    const neg = new Float64Array(G * H);
    for (let e = 0; e < n; e++) neg[i32[pr + e] * H + i32[pc + e]] = -f64[pv + e];
    const { rows, cols } = linearSumAssignment(neg, G, H);
    i32.set(rows, p("mr") >> 2);
    i32.set(cols, p("mc") >> 2);
    k.prepResume(CTX, t, rows.length);
  }
  const nSim = i32[(CTX >> 2) + F.nSim];
  const nGk = i32[(CTX >> 2) + F.nGk];
  const nHk = i32[(CTX >> 2) + F.nHk];

  /** Relabels n kept ids at address a in place: the id count, -1 when too far apart, or the negative minimum. */
  const relabel = (a: number, n: number): { count: number } | { negative: number } => {
    if (n === 0) return { count: 0 };
    const [lo, hi] = range(a, n);
    if (lo < 0) return { negative: lo };
    if (hi - lo >= ID_TABLE_MAX) return { count: -1 };
    table(hi - lo + 1);
    return { count: k.relabelIds(a, n, tableAt, lo, hi - lo + 1) };
  };
  const gr = relabel(p("gOut"), nGk);
  if ("negative" in gr) return { kind: "negativeId", side: "gt", value: gr.negative };
  const tr = relabel(p("tOut"), nHk);
  if ("negative" in tr) return { kind: "negativeId", side: "tracker", value: tr.negative };
  return {
    kind: "ok",
    simStart: i32.slice(p("simStart") >> 2, (p("simStart") >> 2) + T + 1),
    simRows: i32.slice(p("simRows") >> 2, (p("simRows") >> 2) + nSim),
    simCols: i32.slice(p("simCols") >> 2, (p("simCols") >> 2) + nSim),
    simValues: f64.slice(p("simVals") >> 3, (p("simVals") >> 3) + nSim),
    gtIds: i32.slice(p("gOut") >> 2, (p("gOut") >> 2) + nGk),
    gtStart: i32.slice(p("gOutS") >> 2, (p("gOutS") >> 2) + T + 1),
    numGtIds: gr.count,
    trackerIds: i32.slice(p("tOut") >> 2, (p("tOut") >> 2) + nHk),
    trackerStart: i32.slice(p("tOutS") >> 2, (p("tOutS") >> 2) + T + 1),
    numTrackerIds: tr.count,
  };
}
