// /models — the model registry and training: runs with live progress, loss and metric curves, model versions with
// their frozen-benchmark numbers and promotion decisions, a side-by-side comparison of two versions, and admin
// actions (promote / retire / register an external model). Any signed-in user reads; admins act.
import { getDb } from "../../lib/db";
import { modelsOverview } from "../../lib/services/models-view";
import { Denied, Shell } from "../_components/shell";
import { pageAuth } from "../_server/page-auth";
import { ModelsApp } from "./ModelsApp";

export const dynamic = "force-dynamic";

export default async function ModelsPage() {
  const auth = await pageAuth("/models");
  if (!auth.ok) return <Shell actor={auth.actor} title="Models"><Denied message={auth.message} /></Shell>;
  const overview = await modelsOverview(getDb());
  return (
    <Shell actor={auth.actor} title="Models">
      <ModelsApp initial={overview} isAdmin={auth.actor.role === "admin"} renderedAt={Date.now()} />
    </Shell>
  );
}
