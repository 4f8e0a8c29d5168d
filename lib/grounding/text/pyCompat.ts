// Python semantics the Molmo2 reference relies on, reproduced bit-for-bit: banker's rounding
// (`round`), `"%.Nf"` / `"%03d"` formatting, `float()` / `int()` parsing (including Unicode digits,
// which Python's `\d` and `float()` accept), and Python's Unicode whitespace set for `\s`.

/** Raised where the Python reference would raise; the public parsers turn it into a typed error. */
export class PyException extends Error {
  override name = "PyException";
  constructor(
    readonly pyType: string,
    message: string,
    /** Character offset in the parsed text of the field that made the reference raise, when known. */
    readonly offset?: number,
  ) {
    super(`${pyType}: ${message}`);
  }
}

/** Python's `str.isspace()` / `re` `\s` set for str patterns (differs from JS `\s`: \x1c-\x1f and \x85 in, \ufeff out). */
export const PY_WS = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
/** Python's `\d` for str patterns: any Unicode decimal digit (needs the `u` flag). */
export const PY_DIGIT = "\\p{Nd}";

const WS_CHARS = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, "gu");
const NON_ASCII_DIGIT = /[^\x00-\x7f]/u;
const IS_ND = /^\p{Nd}$/u;

/** Python `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  return s.replace(WS_CHARS, "");
}

/** Python `str.split()` with no argument. */
export function pySplit(s: string): string[] {
  return pyStrip(s)
    .split(new RegExp(`[${PY_WS}]+`, "u"))
    .filter((t) => t.length > 0);
}

/**
 * Maps every Unicode decimal digit to its ASCII digit. Unicode guarantees Nd characters come in
 * runs of ten with values 0..9, so a digit's value is its distance from the start of its run mod 10.
 */
export function asciiDigits(s: string): string {
  if (!NON_ASCII_DIGIT.test(s)) return s;
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0x7f && IS_ND.test(ch)) {
      let start = cp;
      while (start > 0 && IS_ND.test(String.fromCodePoint(start - 1))) start--;
      out += String((cp - start) % 10);
    } else out += ch;
  }
  return out;
}

const PY_FLOAT = /^[+-]?(?:(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)(?:[eE][+-]?[0-9](?:_?[0-9])*)?|inf|infinity|nan)$/i;

/** Python `float(str)`. Throws PyException(ValueError) exactly when Python does. */
export function pyFloat(s: string): number {
  const t = asciiDigits(pyStrip(s));
  if (!PY_FLOAT.test(t)) throw new PyException("ValueError", `could not convert string to float: '${s}'`);
  const body = t.replace(/_/g, "").toLowerCase();
  const neg = body.startsWith("-");
  const mag = body.replace(/^[+-]/, "");
  if (mag === "nan") return NaN;
  if (mag === "inf" || mag === "infinity") return neg ? -Infinity : Infinity;
  return Number(body);
}

const PY_INT = /^[+-]?[0-9](?:_?[0-9])*$/;

/** Python `int(str)` (base 10). Returns a double (ids beyond 2^53 lose precision, as documented). */
export function pyIntFromString(s: string): number {
  const t = asciiDigits(pyStrip(s));
  if (!PY_INT.test(t)) throw new PyException("ValueError", `invalid literal for int() with base 10: '${s}'`);
  return Number(t.replace(/_/g, "")) + 0;
}

/** Python 3 `round(x)` on a float: nearest integer, ties to even. */
export function pyRound(x: number): number {
  if (Number.isNaN(x)) throw new PyException("ValueError", "cannot convert float NaN to integer");
  if (!Number.isFinite(x)) throw new PyException("OverflowError", "cannot convert float infinity to integer");
  const f = Math.floor(x);
  const d = x - f; // exact for doubles
  let r: number;
  if (d < 0.5) r = f;
  else if (d > 0.5) r = f + 1;
  else r = f % 2 === 0 ? f : f + 1;
  return r + 0; // never -0 (Python ints have no sign of zero)
}

/** Python `"%.<digits>f" % x` (exact decimal value of the double, ties to even). */
export function pyFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let body: string;
  if (a >= 1e21) {
    // Doubles this large are integers; JS toFixed would switch to exponent notation.
    body = BigInt(a).toString() + (digits > 0 ? "." + "0".repeat(digits) : "");
  } else {
    const scaledTwice = a * 2 ** (digits + 1);
    if (digits <= 20 && Number.isInteger(scaledTwice) && scaledTwice % 2 === 1) {
      // Exact tie: JS toFixed rounds up, Python rounds half to even.
      const lower = (BigInt(scaledTwice) * 5n ** BigInt(digits) - 1n) / 2n; // floor(a * 10^digits)
      const chosen = lower % 2n === 0n ? lower : lower + 1n;
      const s = chosen.toString().padStart(digits + 1, "0");
      body = digits > 0 ? `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}` : s;
    } else body = a.toFixed(digits);
  }
  return neg ? `-${body}` : body;
}

/** Python `"%03d" % n` for an integer n (the sign counts towards the width). */
export function pyInt03(n: number): string {
  const neg = n < 0;
  const digits = Math.abs(n) >= 1e21 ? BigInt(Math.abs(n)).toString() : String(Math.abs(n));
  return neg ? `-${digits.padStart(2, "0")}` : digits.padStart(3, "0");
}

/** Python `repr(float)` / `str(float)`: shortest round-trip digits, `.0` for integral values, exponent outside [1e-4, 1e16). */
export function pyRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  // toExponential() without an argument gives the shortest round-trip digits, like Python's repr.
  const [mant, expText] = Math.abs(x).toExponential().split("e");
  const digits = mant.replace(".", "");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
