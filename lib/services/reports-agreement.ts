// Per-annotator agreement against gold tasks (/reports).
//
// Observations belong to an object, not to a task, so an annotator's track can only be compared with a gold track
// when the two live on different objects. A task T is a *twin* of a gold task G when both are on the same video,
// their expressions have the same text (trimmed, case-insensitive) and their objects the same objectKey, and T is
// on a different object (the QA pattern: the admin duplicates an expression, one copy carries the gold track).
// Reference = the gold task's object's keyframes (G must be accepted); compared = every non-gold twin that was
// submitted (status submitted / accepted / rejected) by its assignee. Scored on the sampling grid with the distance
// judge (point F1 within `radius` px, distance-similarity HOTA) through the same eval-tracks functions.
import type { Db } from "../db";
import { mean } from "../metrics/points/prf";
import type { Keyframe } from "../tracks/types";
import { buildGroundTruthExample, predictionOnGrid, scoreExample, type ExampleResult, type ReportQuery } from "./reports";

export interface AgreementRow {
  userId: number;
  username: string;
  displayName: string;
  /** Twin tasks compared. */
  tasks: number;
  /** GT points (visible gold points on the grid) over those tasks. */
  goldPoints: number;
  precision: number;
  recall: number;
  f1: number;
  HOTA: number;
  DetA: number;
  AssA: number;
  HOTA_alphaMean: number;
}

export interface AgreementPair {
  goldTaskId: number;
  taskId: number;
  userId: number;
  result: ExampleResult;
}

export interface Agreement {
  radius: number;
  soft: boolean;
  goldTasks: number;
  rows: AgreementRow[];
  pairs: AgreementPair[];
}

const SUBMITTED = ["submitted", "accepted", "rejected"];

function norm(s: string): string {
  return s.trim().replace(/\s+/g, " ").toLowerCase();
}

export async function annotatorAgreement(db: Db, q: Pick<ReportQuery, "radius" | "soft" | "fps" | "project">): Promise<Agreement> {
  const taskSelect = {
    id: true, videoId: true, objectId: true, assigneeId: true, isGold: true, status: true,
    assignee: { select: { id: true, username: true, displayName: true } },
    expression: { select: { id: true, text: true } },
    object: { select: { objectKey: true, observations: { select: { frameIndex: true, x: true, y: true, state: true } } } },
    video: {
      select: { id: true, name: true, width: true, height: true, fps: true, frameCount: true, shotBoundaries: true, domain: true, project: { select: { domain: true } } },
    },
  } as const;
  const projectFilter = q.project ? { video: { projectId: q.project } } : {};
  const gold = await db.task.findMany({ where: { isGold: true, status: "accepted", ...projectFilter }, select: taskSelect, orderBy: { id: "asc" } });
  const judge = { kind: "distance" as const, radius: q.radius, soft: q.soft };
  const pairs: AgreementPair[] = [];
  const keyframes = (obs: ReadonlyArray<{ frameIndex: number; x: number; y: number; state: string }>): Keyframe[] =>
    obs.map((o) => ({ frame: o.frameIndex, x: o.x, y: o.y, state: o.state as Keyframe["state"], source: "human" }));
  for (const g of gold) {
    const twins = await db.task.findMany({
      where: { videoId: g.videoId, isGold: false, status: { in: SUBMITTED }, assigneeId: { not: null }, objectId: { not: g.objectId }, object: { objectKey: g.object.objectKey } },
      select: taskSelect,
      orderBy: { id: "asc" },
    });
    const matching = twins.filter((t) => norm(t.expression.text) === norm(g.expression.text));
    if (!matching.length) continue;
    const example = buildGroundTruthExample(g.video, g.expression, [{ objectKey: g.object.objectKey, keyframes: keyframes(g.object.observations), masks: null }], q.fps);
    for (const t of matching) {
      const pred = predictionOnGrid(example, [{ objectKey: g.object.objectKey, keyframes: keyframes(t.object.observations), masks: null }]);
      pairs.push({ goldTaskId: g.id, taskId: t.id, userId: t.assignee!.id, result: scoreExample(example, pred, judge) });
    }
  }
  const users = new Map<number, { username: string; displayName: string; results: ExampleResult[] }>();
  const names = new Map<number, { username: string; displayName: string }>();
  const userRows = await db.user.findMany({ where: { id: { in: [...new Set(pairs.map((p) => p.userId))] } }, select: { id: true, username: true, displayName: true } });
  for (const u of userRows) names.set(u.id, u);
  for (const p of pairs) {
    const u = users.get(p.userId) ?? { ...names.get(p.userId)!, results: [] };
    u.results.push(p.result);
    users.set(p.userId, u);
  }
  const rows: AgreementRow[] = [...users.entries()]
    .map(([userId, u]) => {
      const m = (f: (r: ExampleResult) => number) => mean(u.results.map(f));
      return {
        userId,
        username: u.username,
        displayName: u.displayName,
        tasks: u.results.length,
        goldPoints: u.results.reduce((s, r) => s + r.gtPoints, 0),
        precision: m((r) => r.scores.precision),
        recall: m((r) => r.scores.recall),
        f1: m((r) => r.scores.f1),
        HOTA: m((r) => r.scores.HOTA),
        DetA: m((r) => r.scores.DetA),
        AssA: m((r) => r.scores.AssA),
        HOTA_alphaMean: m((r) => r.scores.HOTA_alphaMean),
      };
    })
    .sort((a, b) => a.username.localeCompare(b.username));
  return { radius: q.radius, soft: q.soft, goldTasks: gold.length, rows, pairs };
}
