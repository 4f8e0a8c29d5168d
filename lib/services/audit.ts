// Append-only audit log of state-changing actions.
import type { Db, Prisma } from "../db";

type Tx = Db | Prisma.TransactionClient;

export async function audit(db: Tx, actorId: number | null, action: string, entity: string, entityId: number, detail: Record<string, unknown> = {}): Promise<void> {
  await db.auditEvent.create({ data: { actorId, action, entity, entityId, detail: JSON.stringify(detail) } });
}
