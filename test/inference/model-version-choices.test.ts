// The /query model selector's list (app/query/model-choices.ts) from the registry rows GET /api/models returns:
// usable versions only, promoted first and marked, external ones with their endpoint, the built-in default, and the
// request each choice sends.
import assert from "node:assert/strict";
import { test } from "node:test";
import { findChoice, modelChoices, type ListedVersion } from "../../app/query/model-choices";

const row = (version: string, kind: string, status: string, createdAt: string, extra: Partial<ListedVersion> = {}): ListedVersion => ({
  version, kind, status, createdAt,
  dir: kind === "built-in" ? `/m/versions/${version}` : null,
  endpoint: kind === "external" ? "http://127.0.0.1:8000/v1" : null,
  remoteModel: kind === "external" ? "allenai/Molmo2-8B" : null,
  ...extra,
});

test("nothing registered: the built-in default is the choice, with the custom remote server", () => {
  const c = modelChoices([]);
  assert.deepEqual(c.versions, []);
  assert.equal(c.initial, "built-in");
  assert.equal(c.builtinDefault.label, "built-in default (MolmoPoint ONNX)");
  assert.deepEqual(c.builtinDefault.request, { runtime: "built-in" });
  assert.deepEqual(c.customRemote.request, { runtime: "remote" });
});

test("usable versions: promoted first and marked, candidates newest first, retired/rejected left out", () => {
  const c = modelChoices([
    row("old", "built-in", "retired", "2026-01-01T00:00:00Z"),
    row("cand-1", "built-in", "candidate", "2026-02-01T00:00:00Z"),
    row("ext", "external", "candidate", "2026-03-01T00:00:00Z"),
    row("lost", "built-in", "rejected", "2026-03-02T00:00:00Z"),
    row("prod", "built-in", "promoted", "2026-01-15T00:00:00Z", { headline: { pointF1: 0.3881 } }),
  ]);
  assert.deepEqual(c.versions.map((v) => v.value), ["version:prod", "version:ext", "version:cand-1"]);
  assert.equal(c.versions[0]!.label, "★ prod — built-in (promoted)");
  assert.equal(c.versions[0]!.detail, "built-in promoted · /m/versions/prod · point F1 0.388");
  assert.equal(c.versions[1]!.label, "ext — external: allenai/Molmo2-8B @ http://127.0.0.1:8000/v1");
  assert.deepEqual(c.versions[1]!.request, { modelVersion: "ext" });
  assert.equal(c.initial, "version:prod");
  assert.match(c.builtinDefault.label, /follows the promoted version, now prod/);
  assert.deepEqual(findChoice(c, "version:ext")!.request, { modelVersion: "ext" });
  assert.equal(findChoice(c, "version:old"), undefined);
});

test("an external promoted version: preselected; the built-in default is the installed model", () => {
  const c = modelChoices([row("ext", "external", "promoted", "2026-03-01T00:00:00Z"), row("b", "built-in", "candidate", "2026-03-02T00:00:00Z")]);
  assert.equal(c.initial, "version:ext");
  assert.equal(c.builtinDefault.label, "built-in default (MolmoPoint ONNX)");
  assert.match(c.builtinDefault.detail, /models\/builtin/);
});
