// A small strict XML parser for the subset annotation tools write (CVAT): elements, attributes, text, comments,
// CDATA, the five predefined entities and character references. DOCTYPE / entity declarations and processing
// instructions other than the XML declaration are refused (no external entities, no entity expansion tricks).
// Every node and error carries its 1-based line number.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated decoded character data directly inside this element (not its children). */
  text: string;
  line: number;
}

export class XmlSyntaxError extends Error {
  override name = "XmlSyntaxError";
  constructor(
    readonly detail: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y;
const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

export function parseXml(source: string): XmlElement {
  let pos = source.charCodeAt(0) === 0xfeff ? 1 : 0;
  const newlines: number[] = [];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) newlines.push(i);

  const lineAt = (p: number): number => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid] < p) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const fail = (detail: string, at = pos): never => {
    throw new XmlSyntaxError(detail, lineAt(at));
  };
  const skipSpace = () => {
    while (pos < source.length && /\s/.test(source[pos])) pos++;
  };
  const readName = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(source);
    if (!m) fail(`expected a name, found ${JSON.stringify(source.slice(pos, pos + 10))}`);
    pos += m![0].length;
    return m![0];
  };
  const decode = (raw: string, at: number): string =>
    raw.replace(/&([^;&\s<]*);?/g, (whole, ent: string, offset: number) => {
      const where = at + offset;
      if (!whole.endsWith(";")) fail(`'&' must start an entity reference ending in ';'`, where);
      if (ent in PREDEFINED) return PREDEFINED[ent];
      const num = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ent);
      if (num) {
        const code = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2], 10);
        if (code === 0 || code > 0x10ffff) fail(`character reference &${ent}; is out of range`, where);
        return String.fromCodePoint(code);
      }
      return fail(`unknown entity &${ent};`, where);
    });
  // Comments, and the declaration at the very start.
  const skipMisc = (allowDeclaration: boolean) => {
    for (;;) {
      skipSpace();
      if (source.startsWith("<!--", pos)) {
        const end = source.indexOf("-->", pos + 4);
        if (end < 0) fail("unterminated comment");
        pos = end + 3;
      } else if (source.startsWith("<?xml", pos) && allowDeclaration) {
        const end = source.indexOf("?>", pos);
        if (end < 0) fail("unterminated XML declaration");
        pos = end + 2;
        allowDeclaration = false;
      } else if (source.startsWith("<?", pos)) {
        fail("processing instructions are not supported");
      } else if (source.startsWith("<!", pos)) {
        fail("DOCTYPE and other declarations are not supported");
      } else return;
    }
  };

  const readElement = (): XmlElement => {
    const line = lineAt(pos);
    pos++; // '<'
    const name = readName();
    const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
    for (;;) {
      const before = pos;
      skipSpace();
      if (source.startsWith("/>", pos)) {
        pos += 2;
        return { name, attrs, children: [], text: "", line };
      }
      if (source[pos] === ">") {
        pos++;
        break;
      }
      if (pos >= source.length) fail(`unterminated start tag <${name}>`);
      if (before === pos) fail(`expected whitespace before attribute in <${name}>`);
      const attrAt = pos;
      const attr = readName();
      skipSpace();
      if (source[pos] !== "=") fail(`attribute '${attr}' of <${name}> has no value`);
      pos++;
      skipSpace();
      const quote = source[pos];
      if (quote !== '"' && quote !== "'") fail(`value of attribute '${attr}' must be quoted`);
      const end = source.indexOf(quote, pos + 1);
      if (end < 0) fail(`unterminated value of attribute '${attr}'`);
      const raw = source.slice(pos + 1, end);
      if (raw.includes("<")) fail(`'<' is not allowed in the value of attribute '${attr}'`);
      if (Object.prototype.hasOwnProperty.call(attrs, attr)) fail(`attribute '${attr}' is repeated in <${name}>`, attrAt);
      // Attribute-value normalisation: literal whitespace characters become spaces.
      attrs[attr] = decode(raw, pos + 1).replace(/[\t\n\r]/g, " ");
      pos = end + 1;
    }
    const children: XmlElement[] = [];
    let text = "";
    for (;;) {
      if (pos >= source.length) fail(`element <${name}> opened on line ${line} is not closed`);
      if (source.startsWith("</", pos)) {
        pos += 2;
        const closing = readName();
        if (closing !== name) fail(`expected </${name}> (opened on line ${line}), found </${closing}>`);
        skipSpace();
        if (source[pos] !== ">") fail(`expected '>' to end </${name}>`);
        pos++;
        return { name, attrs, children, text, line };
      }
      if (source.startsWith("<!--", pos)) {
        const end = source.indexOf("-->", pos + 4);
        if (end < 0) fail("unterminated comment");
        pos = end + 3;
      } else if (source.startsWith("<![CDATA[", pos)) {
        const end = source.indexOf("]]>", pos + 9);
        if (end < 0) fail("unterminated CDATA section");
        text += source.slice(pos + 9, end);
        pos = end + 3;
      } else if (source.startsWith("<!", pos) || source.startsWith("<?", pos)) {
        fail("declarations and processing instructions are not supported inside elements");
      } else if (source[pos] === "<") {
        children.push(readElement());
      } else {
        const next = source.indexOf("<", pos);
        const end = next < 0 ? source.length : next;
        const raw = source.slice(pos, end);
        if (raw.includes("]]>")) fail("']]>' is not allowed in text");
        text += decode(raw, pos);
        pos = end;
      }
    }
  };

  skipMisc(true);
  if (source[pos] !== "<") fail("expected the root element");
  const root = readElement();
  skipMisc(false);
  if (pos < source.length) fail("content after the root element");
  return root;
}

/** Escapes text for use inside a double-quoted attribute value or element content. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;")
    .replace(/\t/g, "&#9;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;");
}
