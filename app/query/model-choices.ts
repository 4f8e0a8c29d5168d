// What the /query model selector offers, from the registry as GET /api/models lists it: the usable versions
// (promoted first and marked, then candidates, newest first; built-in ones with their dir, external ones with their
// model and endpoint), the built-in default (what serves when no version is named) and a custom remote server.
// Pure (no React) so the list is tested without a browser.

/** The fields of a registry version row (lib/services/models-view VersionRow) the selector needs. */
export interface ListedVersion {
  version: string;
  kind: string;
  status: string;
  dir: string | null;
  endpoint: string | null;
  remoteModel: string | null;
  createdAt: string;
  headline?: { pointF1?: number | null };
}

/** Select values: "built-in" and "remote" are the runtimes' defaults (the page's original choices). */
export type ChoiceValue = "built-in" | "remote" | `version:${string}`;

export interface ModelChoice {
  value: ChoiceValue;
  label: string;
  /** One line under the selector: where the model lives and how it scored. */
  detail: string;
  /** What POST /api/query gets for this choice (the remote endpoint/model are added by the page). */
  request: { runtime: "built-in" | "remote" } | { modelVersion: string };
}

export interface ModelChoices {
  /** Registered versions usable by a query, promoted first. */
  versions: ModelChoice[];
  builtinDefault: ModelChoice;
  customRemote: ModelChoice;
  /** The promoted version when there is one, else the built-in default. */
  initial: ChoiceValue;
}

const USABLE = new Set(["candidate", "promoted"]);

function where(v: ListedVersion): string {
  return v.kind === "external" ? `${v.remoteModel ?? "?"} @ ${v.endpoint ?? "?"}` : (v.dir ?? "no directory");
}

export function modelChoices(listed: readonly ListedVersion[]): ModelChoices {
  const usable = listed.filter((v) => USABLE.has(v.status));
  const ordered = [
    ...usable.filter((v) => v.status === "promoted"),
    ...usable.filter((v) => v.status !== "promoted").sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
  ];
  const versions = ordered.map((v): ModelChoice => {
    const f1 = v.headline?.pointF1;
    return {
      value: `version:${v.version}`,
      label: `${v.status === "promoted" ? "★ " : ""}${v.version} — ${v.kind === "external" ? `external: ${where(v)}` : "built-in"}${v.status === "promoted" ? " (promoted)" : ""}`,
      detail: `${v.kind} ${v.status} · ${where(v)}${typeof f1 === "number" ? ` · point F1 ${f1.toFixed(3)}` : ""}`,
      request: { modelVersion: v.version },
    };
  });
  const promoted = ordered.find((v) => v.status === "promoted");
  const builtinDefault: ModelChoice = {
    value: "built-in",
    label: promoted?.kind === "built-in" ? `built-in default (follows the promoted version, now ${promoted.version})` : "built-in default (MolmoPoint ONNX)",
    detail: promoted?.kind === "built-in"
      ? "the built-in runtime serves whichever built-in version is promoted when the job runs"
      : "the model installed in models/builtin (no built-in version is promoted)",
    request: { runtime: "built-in" },
  };
  const customRemote: ModelChoice = {
    value: "remote",
    label: "remote Molmo2 (OpenAI-compatible)",
    detail: "any OpenAI-compatible Molmo2 server: give its endpoint and served model name",
    request: { runtime: "remote" },
  };
  return { versions, builtinDefault, customRemote, initial: promoted ? `version:${promoted.version}` : "built-in" };
}

export function findChoice(c: ModelChoices, value: ChoiceValue): ModelChoice | undefined {
  return [c.builtinDefault, c.customRemote, ...c.versions].find((x) => x.value === value);
}
