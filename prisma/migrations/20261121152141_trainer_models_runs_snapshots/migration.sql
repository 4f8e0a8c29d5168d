-- CreateTable
CREATE TABLE "DatasetSnapshot" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL DEFAULT '',
    "contentHash" TEXT NOT NULL,
    "benchmarkHash" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "counts" TEXT NOT NULL DEFAULT '{}',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ModelVersion" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "version" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'candidate',
    "dir" TEXT,
    "endpoint" TEXT,
    "remoteModel" TEXT,
    "description" TEXT NOT NULL DEFAULT '',
    "snapshotId" INTEGER,
    "benchmarkHash" TEXT,
    "metrics" TEXT NOT NULL DEFAULT '{}',
    "comparison" TEXT NOT NULL DEFAULT '{}',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "promotedAt" DATETIME,
    "retiredAt" DATETIME,
    CONSTRAINT "ModelVersion_snapshotId_fkey" FOREIGN KEY ("snapshotId") REFERENCES "DatasetSnapshot" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TrainingRun" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "config" TEXT NOT NULL DEFAULT '{}',
    "snapshotId" INTEGER NOT NULL,
    "step" INTEGER NOT NULL DEFAULT 0,
    "steps" INTEGER NOT NULL,
    "stage" TEXT NOT NULL DEFAULT '',
    "loss" REAL,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "checkpointDir" TEXT NOT NULL,
    "candidateVersionId" INTEGER,
    "workerPid" INTEGER,
    "workerHost" TEXT,
    "heartbeatAt" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "TrainingRun_snapshotId_fkey" FOREIGN KEY ("snapshotId") REFERENCES "DatasetSnapshot" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "TrainingRun_candidateVersionId_fkey" FOREIGN KEY ("candidateVersionId") REFERENCES "ModelVersion" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TrainingMetric" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "runId" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "value" REAL NOT NULL,
    CONSTRAINT "TrainingMetric_runId_fkey" FOREIGN KEY ("runId") REFERENCES "TrainingRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "DatasetSnapshot_contentHash_idx" ON "DatasetSnapshot"("contentHash");

-- CreateIndex
CREATE UNIQUE INDEX "ModelVersion_version_key" ON "ModelVersion"("version");

-- CreateIndex
CREATE INDEX "ModelVersion_status_idx" ON "ModelVersion"("status");

-- CreateIndex
CREATE UNIQUE INDEX "TrainingRun_candidateVersionId_key" ON "TrainingRun"("candidateVersionId");

-- CreateIndex
CREATE INDEX "TrainingRun_status_idx" ON "TrainingRun"("status");

-- CreateIndex
CREATE UNIQUE INDEX "TrainingMetric_runId_name_step_key" ON "TrainingMetric"("runId", "name", "step");
