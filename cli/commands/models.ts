// `groundtrack models`: the model registry — list versions, export trained weights to a built-in version, register
// an external model (served elsewhere, used through the remote runtime), promote (by comparison on a snapshot's
// frozen benchmark split, or by hand) and retire.
import { parseCommandArgs, UserError, runSubcommand } from "../args";
import { progressBar } from "../progress";

export const summary = "model registry: list, export weights to a version, register-external, promote, retire";

const USAGE = `usage:
  groundtrack models list [--json]
  groundtrack models export --weights DIR --version V [--no-register]
      export trained MolmoPoint-Tiny weights (config.json, vocab.json, model.safetensors) to the built-in contract
      model dir models/versions/V/ and register it as a candidate
  groundtrack models register-external --name V --endpoint URL --model NAME [--description TEXT]
      a checkpoint served elsewhere (OpenAI-compatible Molmo2 server, e.g. vLLM) used through the remote runtime
  groundtrack models promote V --snapshot ID     promote only if V's point F1 beats the promoted version's on the
                                                 snapshot's frozen benchmark split (both evaluated; ties rejected)
  groundtrack models promote V --force [--note TEXT]   promote by hand (recorded as a manual decision)
  groundtrack models retire V
The promoted built-in version is what the inference service uses by default (models/versions/promoted.json);
with none promoted it falls back to $GROUNDTRACK_BUILTIN_MODEL_DIR or models/builtin (the demo model).
Database: $DATABASE_URL (default data/groundtrack.db).`;

async function db() {
  const { getDb } = await import("../../lib/db/index.ts");
  return getDb();
}

/** Service errors (bad input, conflicts, missing rows) are the user's to fix: printed without a stack. */
async function userErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const name = (e as Error)?.name;
    if (name === "ServiceError" || name === "RegistryError" || name === "SnapshotError" || name === "EvalError" || name === "ExportError" || name === "RuntimeError") {
      throw new UserError((e as Error).message);
    }
    throw e;
  }
}

function fmt(n: unknown): string {
  return typeof n === "number" && Number.isFinite(n) ? n.toFixed(4) : "-";
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { json: { type: "boolean" } });
  const { listModelVersions } = await import("../../lib/services/models.ts");
  const versions = await listModelVersions(await db());
  if (values.json) {
    console.log(JSON.stringify(versions, null, 1));
    return 0;
  }
  if (!versions.length) {
    console.log("no model versions registered (the inference service uses the demo model in models/builtin)");
    return 0;
  }
  console.log(`${"version".padEnd(24)} ${"kind".padEnd(9)} ${"status".padEnd(10)} ${"F1".padStart(7)} ${"HOTA".padStart(7)} ${"count".padStart(7)} ${"close".padStart(7)}  where`);
  for (const v of versions) {
    const o = (v.metrics as { overall?: Record<string, number> }).overall ?? {};
    const where = v.kind === "built-in" ? v.dir ?? "" : `${v.remoteModel} @ ${v.endpoint}`;
    console.log(`${v.version.padEnd(24)} ${v.kind.padEnd(9)} ${v.status.padEnd(10)} ${fmt(o.f1).padStart(7)} ${fmt(o.HOTA).padStart(7)} ${fmt(o.countAccuracy).padStart(7)} ${fmt(o.closeAccuracy).padStart(7)}  ${where}`);
  }
  return 0;
}

async function exportWeights(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { weights: { type: "string" }, version: { type: "string" }, "no-register": { type: "boolean" } });
  if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  if (!values.weights) throw new UserError(`--weights is required\n${USAGE}`);
  if (!values.version) throw new UserError(`--version is required\n${USAGE}`);
  const { versionDir, versionName, registerBuiltinVersion } = await import("../../lib/services/models.ts");
  const name = versionName.safeParse(values.version);
  if (!name.success) throw new UserError(`--version: ${name.error.issues[0].message}`);
  const d = values["no-register"] ? null : await db();
  if (d && (await d.modelVersion.findUnique({ where: { version: values.version } }))) throw new UserError(`model version '${values.version}' already exists`);
  const { exportBuiltinModel } = await import("../../trainer/model/export-onnx.ts");
  const out = versionDir(values.version);
  const r = await userErrors(() => exportBuiltinModel(values.weights as string, out, { version: values.version, log: (m) => console.error(m) }));
  console.log(`exported ${r.parameters} parameters to ${r.outDir} (engine built-in:${r.config.version})`);
  if (d) {
    await userErrors(() => registerBuiltinVersion(d, null, { version: values.version as string, dir: r.outDir, snapshotId: null, benchmarkHash: null, metrics: {}, description: `exported from ${values.weights}` }));
    console.log(`registered candidate ${values.version}; promote with: groundtrack models promote ${values.version} --snapshot ID`);
  }
  return 0;
}

async function registerExternal(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { name: { type: "string" }, endpoint: { type: "string" }, model: { type: "string" }, description: { type: "string" } });
  if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  for (const k of ["name", "endpoint", "model"] as const) if (!values[k]) throw new UserError(`--${k} is required\n${USAGE}`);
  const { registerExternalVersion } = await import("../../lib/services/models.ts");
  const v = await userErrors(async () => registerExternalVersion(await db(), null, { version: values.name as string, endpoint: values.endpoint as string, model: values.model as string, description: values.description ?? "" }));
  console.log(`registered external model ${v.version}: ${v.remoteModel} @ ${v.endpoint} (candidate; promote with --snapshot ID to compare it on the frozen split)`);
  return 0;
}

async function promote(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { snapshot: { type: "string" }, force: { type: "boolean" }, note: { type: "string" } });
  if (positionals.length !== 1) throw new UserError(`give exactly one version to promote\n${USAGE}`);
  const version = positionals[0];
  const d = await db();
  if (values.force) {
    if (values.snapshot) throw new UserError("--force promotes by hand; do not combine it with --snapshot");
    const { promoteVersion } = await import("../../lib/services/models.ts");
    await userErrors(() => promoteVersion(d, null, version, { manual: true, note: values.note ?? "", decidedAt: new Date().toISOString() }));
    console.log(`promoted ${version} by hand`);
    return 0;
  }
  if (!values.snapshot) throw new UserError(`--snapshot ID is required (the frozen benchmark to compare on), or --force\n${USAGE}`);
  const id = Number(values.snapshot);
  if (!Number.isInteger(id) || id < 1) throw new UserError(`--snapshot must be a snapshot id, got '${values.snapshot}'`);
  const { openSnapshot, snapshotRefs, BENCHMARK_SPLIT } = await import("../../trainer/snapshot/index.ts");
  const { comparePromote } = await import("../../trainer/registry/index.ts");
  const snap = await userErrors(() => openSnapshot(d, id));
  const refs = snapshotRefs(snap.dir, snap.manifest, [BENCHMARK_SPLIT]);
  const bar = progressBar("evaluate", refs.length);
  try {
    const r = await userErrors(() => comparePromote(d, version, refs, snap.manifest.benchmark.hash, { onProgress: () => bar.tick() }));
    bar.stop();
    console.log(`${r.decision}: ${String(r.comparison.reason)}`);
    return r.decision === "promoted" ? 0 : 3;
  } finally {
    bar.stop();
  }
}

async function retire(argv: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(argv, {});
  if (positionals.length !== 1) throw new UserError(`give exactly one version to retire\n${USAGE}`);
  const { retireVersion } = await import("../../lib/services/models.ts");
  const v = await userErrors(async () => retireVersion(await db(), null, positionals[0]));
  console.log(`retired ${v.version}`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  try {
    return await runSubcommand(argv, { "list": list, "export": exportWeights, "register-external": registerExternal, "promote": promote, "retire": retire }, USAGE);
  } finally {
    const { getDb } = await import("../../lib/db/index.ts");
    await getDb().$disconnect();
  }
}
