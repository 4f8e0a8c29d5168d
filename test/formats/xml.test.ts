import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { escapeXml, parseXml, XmlSyntaxError } from "../../lib/formats/xml";

test("parses elements, attributes, text, entities, comments, CDATA and line numbers", () => {
  const root = parseXml(`\uFEFF<?xml version="1.0" encoding="utf-8"?>
<!-- lead -->
<a x="1" y='two &amp; &#65;&#x42;'>
  hello &lt;world&gt;
  <b/>
  <c k="v">t<![CDATA[<raw>&amp;]]></c>
</a>
<!-- tail -->
`);
  assert.equal(root.name, "a");
  assert.deepEqual({ ...root.attrs }, { x: "1", y: "two & AB" });
  assert.equal(root.line, 3);
  assert.deepEqual(root.children.map((c) => [c.name, c.line]), [["b", 5], ["c", 6]]);
  assert.equal(root.children[1].text, "t<raw>&amp;");
  assert.match(root.text, /hello <world>/);
});

function syntaxError(src: string): XmlSyntaxError {
  try {
    parseXml(src);
  } catch (e) {
    assert.ok(e instanceof XmlSyntaxError, String(e));
    return e;
  }
  assert.fail("expected a syntax error");
}

test("refuses malformed or unsafe XML with the line", () => {
  assert.deepEqual([syntaxError("<a>\n<b>\n</a>").line, syntaxError("<a>\n<b>\n</a>").detail], [3, "expected </b> (opened on line 2), found </a>"]);
  assert.match(syntaxError('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<a>&e;</a>').detail, /DOCTYPE/);
  assert.match(syntaxError("<a>&e;</a>").detail, /unknown entity &e;/);
  assert.match(syntaxError("<a>AT&T</a>").detail, /'&' must start an entity reference/);
  assert.match(syntaxError('<a x="1" x="2"/>').detail, /repeated/);
  assert.match(syntaxError("<a x=1/>").detail, /must be quoted/);
  assert.match(syntaxError('<a x="<"/>').detail, /'<' is not allowed/);
  assert.match(syntaxError("<a>").detail, /not closed/);
  assert.match(syntaxError("<a/><b/>").detail, /content after the root/);
  assert.match(syntaxError("<a><?pi x?></a>").detail, /processing instructions/);
  assert.equal(syntaxError("<a>\n\n  <b x='1'y='2'/></a>").line, 3);
  assert.match(syntaxError("text").detail, /expected the root element/);
});

test("property: escapeXml round-trips any string through an attribute and text", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), (s) => {
      fc.pre(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(s));
      const root = parseXml(`<a v="${escapeXml(s)}">${escapeXml(s)}</a>`);
      assert.equal(root.attrs.v, s);
    }),
  );
});
