-- AlterTable
ALTER TABLE "Project" ADD COLUMN "domain" TEXT;

-- AlterTable
ALTER TABLE "Video" ADD COLUMN "domain" TEXT;

-- CreateTable
CREATE TABLE "PredictionSet" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "engine" TEXT NOT NULL DEFAULT '',
    "createdById" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PredictionSet_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "PredictedTrack" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "predictionSetId" INTEGER NOT NULL,
    "videoId" INTEGER NOT NULL,
    "expressionId" INTEGER NOT NULL,
    "objectKey" INTEGER NOT NULL,
    "keyframes" TEXT NOT NULL DEFAULT '[]',
    "masks" TEXT,
    "engine" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PredictedTrack_predictionSetId_fkey" FOREIGN KEY ("predictionSetId") REFERENCES "PredictionSet" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "PredictedTrack_videoId_fkey" FOREIGN KEY ("videoId") REFERENCES "Video" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "PredictedTrack_expressionId_fkey" FOREIGN KEY ("expressionId") REFERENCES "Expression" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Task" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "videoId" INTEGER NOT NULL,
    "expressionId" INTEGER NOT NULL,
    "objectId" INTEGER NOT NULL,
    "seedFrame" INTEGER NOT NULL,
    "seedX" REAL NOT NULL,
    "seedY" REAL NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'new',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "assigneeId" INTEGER,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "submittedAt" DATETIME,
    "completedAt" DATETIME,
    "isGold" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "Task_videoId_fkey" FOREIGN KEY ("videoId") REFERENCES "Video" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Task_expressionId_fkey" FOREIGN KEY ("expressionId") REFERENCES "Expression" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Task_objectId_fkey" FOREIGN KEY ("objectId") REFERENCES "TrackedObject" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Task_assigneeId_fkey" FOREIGN KEY ("assigneeId") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Task" ("assigneeId", "completedAt", "createdAt", "expressionId", "id", "objectId", "priority", "seedFrame", "seedX", "seedY", "startedAt", "status", "submittedAt", "updatedAt", "version", "videoId") SELECT "assigneeId", "completedAt", "createdAt", "expressionId", "id", "objectId", "priority", "seedFrame", "seedX", "seedY", "startedAt", "status", "submittedAt", "updatedAt", "version", "videoId" FROM "Task";
DROP TABLE "Task";
ALTER TABLE "new_Task" RENAME TO "Task";
CREATE INDEX "Task_status_priority_idx" ON "Task"("status", "priority");
CREATE INDEX "Task_assigneeId_status_idx" ON "Task"("assigneeId", "status");
CREATE INDEX "Task_videoId_idx" ON "Task"("videoId");
CREATE INDEX "Task_objectId_idx" ON "Task"("objectId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "PredictionSet_createdAt_idx" ON "PredictionSet"("createdAt");

-- CreateIndex
CREATE INDEX "PredictedTrack_predictionSetId_videoId_idx" ON "PredictedTrack"("predictionSetId", "videoId");

-- CreateIndex
CREATE INDEX "PredictedTrack_expressionId_idx" ON "PredictedTrack"("expressionId");

-- CreateIndex
CREATE UNIQUE INDEX "PredictedTrack_predictionSetId_expressionId_objectKey_key" ON "PredictedTrack"("predictionSetId", "expressionId", "objectKey");
