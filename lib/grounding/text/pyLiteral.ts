// The subset of Python `ast.literal_eval` that Molmo2's legacy track parser can meet inside a
// `{…}` block with no nested braces: numbers, strings, True/False/None, lists, tuples, dicts, sets.
// Outcomes mirror Python: "syntax" = SyntaxError/ValueError (the caller skips the frame),
// PyException(TypeError) = an exception the reference does not catch, and "unsupported" for the few
// literals this port does not model (complex numbers, bytes, triple-quoted or \N{} strings).
import { PyException } from "./pyCompat";

export type PyValue =
  | { t: "int"; v: number }
  | { t: "float"; v: number }
  | { t: "bool"; v: boolean }
  | { t: "none" }
  | { t: "str"; v: string }
  | { t: "list"; items: PyValue[] }
  | { t: "tuple"; items: PyValue[] }
  | { t: "set"; items: PyValue[] }
  | { t: "dict"; entries: Array<[PyValue, PyValue]> };

export class Unsupported extends Error {
  override name = "Unsupported";
}

class Syntax extends Error {
  override name = "Syntax";
}

export type LiteralOutcome = { kind: "value"; value: PyValue } | { kind: "syntax"; message: string };

const ID_CHAR = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]/u;

function isNumeric(v: PyValue): v is { t: "int"; v: number } | { t: "float"; v: number } | { t: "bool"; v: boolean } {
  return v.t === "int" || v.t === "float" || v.t === "bool";
}

export function numericValue(v: PyValue): number {
  if (v.t === "bool") return v.v ? 1 : 0;
  if (v.t === "int" || v.t === "float") return v.v;
  throw new Error(`not numeric: ${v.t}`);
}

function hashable(v: PyValue): boolean {
  if (v.t === "list" || v.t === "dict" || v.t === "set") return false;
  if (v.t === "tuple") return v.items.every(hashable);
  return true;
}

/** Python `==` between hashable literal values (1 == 1.0 == True). */
function pyEquals(a: PyValue, b: PyValue): boolean {
  if (isNumeric(a) && isNumeric(b)) return numericValue(a) === numericValue(b);
  if (a.t === "str" && b.t === "str") return a.v === b.v;
  if (a.t === "none" && b.t === "none") return true;
  if (a.t === "tuple" && b.t === "tuple") return a.items.length === b.items.length && a.items.every((x, i) => pyEquals(x, b.items[i]));
  return false;
}

class LiteralParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseTop(): PyValue {
    // literal_eval strips leading spaces/tabs, then parses in eval mode.
    this.skip();
    const v = this.expr();
    this.skip();
    if (this.i < this.s.length) throw new Syntax(`unexpected '${this.s[this.i]}' at ${this.i}`);
    return v;
  }

  private skip(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === " " || c === "\t" || c === "\f" || c === "\n" || c === "\r") this.i++;
      else if (c === "#") {
        while (this.i < s.length && s[this.i] !== "\n" && s[this.i] !== "\r") this.i++;
      } else if (c === "\\" && (s[this.i + 1] === "\n" || s[this.i + 1] === "\r")) this.i += 2;
      else break;
    }
  }

  private peek(): string {
    this.skip();
    return this.s[this.i] ?? "";
  }

  private expect(c: string): void {
    if (this.peek() !== c) throw new Syntax(`expected '${c}' at ${this.i}`);
    this.i++;
  }

  private expr(): PyValue {
    const v = this.unary();
    const c = this.peek();
    if (c === "+" || c === "-") {
      // literal_eval only accepts real +/- complex; every other binary op is a ValueError.
      this.i++;
      const right = this.unary();
      if (isNumeric(v) && (right.t === "int" || right.t === "float")) throw new Syntax("binary operation on non-complex constants");
      throw new Syntax("malformed node");
    }
    return v;
  }

  private unary(): PyValue {
    const c = this.peek();
    if (c === "+" || c === "-") {
      this.i++;
      const operand = this.unary();
      if (!isNumeric(operand)) throw new Syntax("malformed node or string");
      const n = numericValue(operand);
      const r = c === "-" ? -n : n;
      return operand.t === "float" ? { t: "float", v: r } : { t: "int", v: r + 0 };
    }
    return this.atom();
  }

  private atom(): PyValue {
    const c = this.peek();
    const s = this.s;
    if (c === "") throw new Syntax("unexpected end");
    if (c === "(") {
      this.i++;
      if (this.peek() === ")") {
        this.i++;
        return { t: "tuple", items: [] };
      }
      const first = this.expr();
      if (this.peek() === ")") {
        this.i++;
        return first;
      }
      const items = [first, ...this.restOfSequence(")")];
      return { t: "tuple", items };
    }
    if (c === "[") {
      this.i++;
      if (this.peek() === "]") {
        this.i++;
        return { t: "list", items: [] };
      }
      return { t: "list", items: [this.expr(), ...this.restOfSequence("]")] };
    }
    if (c === "{") {
      this.i++;
      if (this.peek() === "}") {
        this.i++;
        return { t: "dict", entries: [] };
      }
      const k = this.expr();
      if (this.peek() === ":") {
        this.i++;
        const entries: Array<[PyValue, PyValue]> = [[k, this.expr()]];
        for (;;) {
          const d = this.peek();
          if (d === "}") break;
          this.expect(",");
          if (this.peek() === "}") break;
          const key = this.expr();
          this.expect(":");
          entries.push([key, this.expr()]);
        }
        this.i++;
        // Built like dict(zip(keys, values)): unhashable keys raise TypeError, duplicates keep the first position.
        const out: Array<[PyValue, PyValue]> = [];
        for (const [key, val] of entries) {
          if (!hashable(key)) throw new PyException("TypeError", `unhashable type: '${key.t}'`);
          const at = out.findIndex(([q]) => pyEquals(q, key));
          if (at >= 0) out[at] = [out[at][0], val];
          else out.push([key, val]);
        }
        return { t: "dict", entries: out };
      }
      const items = [k, ...this.restOfSequence("}")];
      if (!items.every(hashable)) throw new PyException("TypeError", "unhashable type in set");
      return { t: "set", items };
    }
    if (c === "'" || c === '"') return this.string("");
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.i));
    if (word) {
      const w = word[0];
      const next = s[this.i + w.length];
      if ((next === "'" || next === '"') && /^(?:r|u|R|U|b|B|f|F|br|rb|fr|rf)$/i.test(w)) {
        this.i += w.length;
        return this.string(w.toLowerCase());
      }
      this.i += w.length;
      if (this.i < s.length && ID_CHAR.test(s[this.i])) throw new Syntax("invalid identifier");
      if (w === "True") return { t: "bool", v: true };
      if (w === "False") return { t: "bool", v: false };
      if (w === "None") return { t: "none" };
      throw new Syntax(`malformed node or string: name '${w}'`);
    }
    if (/[0-9.]/.test(c)) return this.number();
    throw new Syntax(`unexpected '${c}'`);
  }

  private restOfSequence(close: string): PyValue[] {
    const items: PyValue[] = [];
    for (;;) {
      if (this.peek() === close) break;
      this.expect(",");
      if (this.peek() === close) break;
      items.push(this.expr());
    }
    this.i++;
    return items;
  }

  private number(): PyValue {
    const rest = this.s.slice(this.i);
    const D = "[0-9](?:_?[0-9])*";
    const exp = `(?:[eE][+-]?${D})`;
    const m =
      new RegExp(`^(?:${D}\\.(?:${D})?${exp}?|\\.${D}${exp}?|${D}${exp})`).exec(rest) ??
      /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?[0-9])*|0(?:_?0)*)/.exec(rest);
    if (!m) throw new Syntax("invalid number");
    const text = m[0];
    this.i += text.length;
    const next = this.s[this.i] ?? "";
    if (next === "j" || next === "J") throw new Unsupported("complex literals are not modelled");
    if (next !== "" && (ID_CHAR.test(next) || /[0-9.]/.test(next))) throw new Syntax("invalid decimal literal");
    const clean = text.replace(/_/g, "");
    if (/^0[xXoObB]/.test(clean)) return { t: "int", v: Number(clean) };
    if (/[.eE]/.test(clean)) return { t: "float", v: Number(clean) };
    return { t: "int", v: Number(clean) };
  }

  private string(prefix: string): PyValue {
    if (prefix.includes("b")) throw new Unsupported("bytes literals are not modelled");
    const s = this.s;
    const q = s[this.i];
    if (s.startsWith(q.repeat(3), this.i)) throw new Unsupported("triple-quoted strings are not modelled");
    const raw = prefix.includes("r");
    let out = "";
    let j = this.i + 1;
    for (;;) {
      if (j >= s.length || s[j] === "\n" || s[j] === "\r") throw new Syntax("unterminated string literal");
      const ch = s[j];
      if (ch === q) break;
      if (ch === "\\") {
        const e = s[j + 1];
        if (e === undefined) throw new Syntax("unterminated string literal");
        if (raw) {
          out += ch + e;
          j += 2;
          continue;
        }
        const simple: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v", "\n": "" };
        if (e in simple) {
          out += simple[e];
          j += 2;
          continue;
        }
        const hex = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
        if (hex) {
          const h = s.slice(j + 2, j + 2 + hex);
          if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(h)) throw new Syntax("truncated escape");
          const cp = parseInt(h, 16);
          if (cp > 0x10ffff) throw new Syntax("illegal Unicode character");
          out += String.fromCodePoint(cp);
          j += 2 + hex;
          continue;
        }
        if (/[0-7]/.test(e)) {
          const oct = /^[0-7]{1,3}/.exec(s.slice(j + 1))![0];
          out += String.fromCodePoint(parseInt(oct, 8));
          j += 1 + oct.length;
          continue;
        }
        if (e === "N") throw new Unsupported("\\N{...} escapes are not modelled");
        out += ch + e; // unknown escapes keep the backslash
        j += 2;
        continue;
      }
      out += ch;
      j++;
    }
    this.i = j + 1;
    // f-strings are JoinedStr nodes, which literal_eval rejects.
    if (prefix.includes("f")) throw new Syntax("malformed node or string: f-string");
    // Adjacent literals concatenate.
    this.skip();
    const nextPrefix = /^(?:[rRuUbBfF]{1,2})?['"]/.exec(this.s.slice(this.i));
    if (nextPrefix) {
      const p = nextPrefix[0].slice(0, -1).toLowerCase();
      this.i += p.length;
      const more = this.string(p);
      return { t: "str", v: out + (more as { t: "str"; v: string }).v };
    }
    return { t: "str", v: out };
  }
}

/** `ast.literal_eval(text)`; throws PyException for errors Python would not report as ValueError/SyntaxError, Unsupported for unmodelled literals. */
export function literalEval(text: string): LiteralOutcome {
  try {
    return { kind: "value", value: new LiteralParser(text.replace(/^[ \t]+/, "")).parseTop() };
  } catch (e) {
    if (e instanceof Syntax) return { kind: "syntax", message: e.message };
    throw e;
  }
}
