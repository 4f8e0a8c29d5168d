// The solver loop of `linearSumAssignment` (../assignment: scipy's rectangular_lsap, shortest augmenting path) as
// WebAssembly, assembled from the WAT below by ./wat. Line for line the JS port it replaces, with the same floating
// point operations in the same order, so duals, ties and the chosen assignment are identical. Every TrackEval-style
// metric calls the solver per frame or per id component, and in a short batch run JS would mostly run it unoptimised.
import { assembleModule, type WatFunction } from "./wat";

/**
 * lsap(c, nr, nc, u, v, spc, path, col4row, row4col, SR, SC, remaining) -> 0, or -1 when infeasible. `c` is the
 * nr x nc (nr <= nc) row-major cost matrix; the result is col4row. i32 arrays for flags.
 */
const lsap: WatFunction = {
  name: "lsap",
  params: [
    ["c", "i32"], ["nr", "i32"], ["nc", "i32"], ["u", "i32"], ["v", "i32"], ["spc", "i32"], ["path", "i32"], ["col4row", "i32"], ["row4col", "i32"],
    ["SR", "i32"], ["SC", "i32"], ["remaining", "i32"],
  ],
  result: "i32",
  locals: [
    ["cur", "i32"], ["it", "i32"], ["numRem", "i32"], ["i", "i32"], ["sink", "i32"], ["index", "i32"], ["j", "i32"], ["base", "i32"], ["r", "i32"], ["prev", "i32"], ["p", "i32"],
    ["minVal", "f64"], ["lowest", "f64"], ["ui", "f64"], ["x", "f64"], ["s", "f64"],
  ],
  body: `
  ;; u = v = 0, path = -1, col4row = -1, row4col = -1
  i32.const 0 local.set $it
  block $z1 loop $z1l
    local.get $it local.get $nr i32.ge_s br_if $z1
    local.get $u local.get $it i32.const 3 i32.shl i32.add f64.const 0 f64.store
    local.get $col4row local.get $it i32.const 2 i32.shl i32.add i32.const -1 i32.store
    local.get $it i32.const 1 i32.add local.set $it
    br $z1l
  end end
  i32.const 0 local.set $it
  block $z2 loop $z2l
    local.get $it local.get $nc i32.ge_s br_if $z2
    local.get $v local.get $it i32.const 3 i32.shl i32.add f64.const 0 f64.store
    local.get $path local.get $it i32.const 2 i32.shl i32.add i32.const -1 i32.store
    local.get $row4col local.get $it i32.const 2 i32.shl i32.add i32.const -1 i32.store
    local.get $it i32.const 1 i32.add local.set $it
    br $z2l
  end end
  block $rowsDone loop $rowLoop
    local.get $cur local.get $nr i32.ge_s br_if $rowsDone
    ;; augmenting_path(cur)
    f64.const 0 local.set $minVal
    local.get $nc local.set $numRem
    i32.const 0 local.set $it
    block $z3 loop $z3l
      local.get $it local.get $nc i32.ge_s br_if $z3
      ;; reverse order makes a constant matrix give the identity (scipy #11602)
      local.get $remaining local.get $it i32.const 2 i32.shl i32.add local.get $nc local.get $it i32.sub i32.const 1 i32.sub i32.store
      local.get $SC local.get $it i32.const 2 i32.shl i32.add i32.const 0 i32.store
      local.get $spc local.get $it i32.const 3 i32.shl i32.add f64.const inf f64.store
      local.get $it i32.const 1 i32.add local.set $it
      br $z3l
    end end
    i32.const 0 local.set $it
    block $z4 loop $z4l
      local.get $it local.get $nr i32.ge_s br_if $z4
      local.get $SR local.get $it i32.const 2 i32.shl i32.add i32.const 0 i32.store
      local.get $it i32.const 1 i32.add local.set $it
      br $z4l
    end end
    local.get $cur local.set $i
    i32.const -1 local.set $sink
    block $found loop $search
      local.get $sink i32.const -1 i32.ne br_if $found
      i32.const -1 local.set $index
      f64.const inf local.set $lowest
      local.get $SR local.get $i i32.const 2 i32.shl i32.add i32.const 1 i32.store
      local.get $c local.get $i local.get $nc i32.mul i32.const 3 i32.shl i32.add local.set $base
      local.get $u local.get $i i32.const 3 i32.shl i32.add f64.load local.set $ui
      i32.const 0 local.set $it
      block $scanDone loop $scan
        local.get $it local.get $numRem i32.ge_s br_if $scanDone
        local.get $remaining local.get $it i32.const 2 i32.shl i32.add i32.load local.set $j
        local.get $minVal local.get $base local.get $j i32.const 3 i32.shl i32.add f64.load f64.add local.get $ui f64.sub
        local.get $v local.get $j i32.const 3 i32.shl i32.add f64.load f64.sub local.set $x
        local.get $spc local.get $j i32.const 3 i32.shl i32.add local.set $p
        local.get $x local.get $p f64.load f64.lt
        if
          local.get $path local.get $j i32.const 2 i32.shl i32.add local.get $i i32.store
          local.get $p local.get $x f64.store
        end
        ;; among equal minima prefer a column that ends the path (an unassigned one)
        local.get $p f64.load local.tee $s local.get $lowest f64.lt
        local.get $s local.get $lowest f64.eq
        local.get $row4col local.get $j i32.const 2 i32.shl i32.add i32.load i32.const -1 i32.eq i32.and
        i32.or
        if
          local.get $s local.set $lowest
          local.get $it local.set $index
        end
        local.get $it i32.const 1 i32.add local.set $it
        br $scan
      end end
      local.get $lowest local.set $minVal
      local.get $minVal f64.const inf f64.eq if i32.const -1 return end
      local.get $remaining local.get $index i32.const 2 i32.shl i32.add i32.load local.set $j
      local.get $row4col local.get $j i32.const 2 i32.shl i32.add i32.load local.tee $r i32.const -1 i32.eq
      if local.get $j local.set $sink else local.get $r local.set $i end
      local.get $SC local.get $j i32.const 2 i32.shl i32.add i32.const 1 i32.store
      local.get $numRem i32.const 1 i32.sub local.set $numRem
      local.get $remaining local.get $index i32.const 2 i32.shl i32.add
      local.get $remaining local.get $numRem i32.const 2 i32.shl i32.add i32.load i32.store
      br $search
    end end
    ;; update dual variables
    local.get $u local.get $cur i32.const 3 i32.shl i32.add local.tee $p local.get $p f64.load local.get $minVal f64.add f64.store
    i32.const 0 local.set $r
    block $du loop $dul
      local.get $r local.get $nr i32.ge_s br_if $du
      local.get $SR local.get $r i32.const 2 i32.shl i32.add i32.load local.get $r local.get $cur i32.ne i32.and
      if
        local.get $u local.get $r i32.const 3 i32.shl i32.add local.tee $p
        local.get $p f64.load
        local.get $minVal local.get $spc local.get $col4row local.get $r i32.const 2 i32.shl i32.add i32.load i32.const 3 i32.shl i32.add f64.load f64.sub
        f64.add f64.store
      end
      local.get $r i32.const 1 i32.add local.set $r
      br $dul
    end end
    i32.const 0 local.set $j
    block $dv loop $dvl
      local.get $j local.get $nc i32.ge_s br_if $dv
      local.get $SC local.get $j i32.const 2 i32.shl i32.add i32.load
      if
        local.get $v local.get $j i32.const 3 i32.shl i32.add local.tee $p
        local.get $p f64.load
        local.get $minVal local.get $spc local.get $j i32.const 3 i32.shl i32.add f64.load f64.sub
        f64.sub f64.store
      end
      local.get $j i32.const 1 i32.add local.set $j
      br $dvl
    end end
    ;; augment previous solution
    local.get $sink local.set $j
    block $aug loop $augl
      local.get $path local.get $j i32.const 2 i32.shl i32.add i32.load local.set $r
      local.get $row4col local.get $j i32.const 2 i32.shl i32.add local.get $r i32.store
      local.get $col4row local.get $r i32.const 2 i32.shl i32.add local.tee $p i32.load local.set $prev
      local.get $p local.get $j i32.store
      local.get $prev local.set $j
      local.get $r local.get $cur i32.eq br_if $aug
      br $augl
    end end
    local.get $cur i32.const 1 i32.add local.set $cur
    br $rowLoop
  end end
  i32.const 0`,
};

interface LsapExports {
  memory: WebAssembly.Memory;
  lsap(c: number, nr: number, nc: number, u: number, v: number, spc: number, path: number, col4row: number, row4col: number, SR: number, SC: number, remaining: number): number;
}

let instance: LsapExports | null = null;

/**
 * Runs the solver on the nr x nc (nr <= nc) row-major matrix `c` (already transposed, signed and checked by the
 * caller); returns col4row, or null when no finite-cost complete matching exists.
 */
export function solveLsap(c: Float64Array, nr: number, nc: number): Int32Array | null {
  if (!instance) instance = new WebAssembly.Instance(new WebAssembly.Module(assembleModule([lsap], 1))).exports as unknown as LsapExports;
  const k = instance;
  let top = 64;
  const alloc = (bytes: number) => {
    const at = (top + 7) & ~7;
    top = at + bytes;
    return at;
  };
  const cAt = alloc(8 * nr * nc);
  const u = alloc(8 * nr);
  const v = alloc(8 * nc);
  const spc = alloc(8 * nc);
  const path = alloc(4 * nc);
  const col4row = alloc(4 * nr);
  const row4col = alloc(4 * nc);
  const SR = alloc(4 * nr);
  const SC = alloc(4 * nc);
  const remaining = alloc(4 * nc);
  const have = k.memory.buffer.byteLength;
  if (top > have) k.memory.grow(Math.ceil((top - have) / 65536));
  new Float64Array(k.memory.buffer, cAt, nr * nc).set(c);
  if (k.lsap(cAt, nr, nc, u, v, spc, path, col4row, row4col, SR, SC, remaining) < 0) return null;
  return new Int32Array(k.memory.buffer, col4row, nr).slice();
}
