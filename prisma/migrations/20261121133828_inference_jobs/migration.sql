-- CreateTable
CREATE TABLE "InferenceJob" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "kind" TEXT NOT NULL DEFAULT 'query',
    "status" TEXT NOT NULL DEFAULT 'queued',
    "runtime" TEXT NOT NULL,
    "params" TEXT NOT NULL DEFAULT '{}',
    "progress" REAL NOT NULL DEFAULT 0,
    "stage" TEXT NOT NULL DEFAULT '',
    "leaseOwner" TEXT,
    "leaseUntil" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "error" TEXT,
    "predictionSetId" INTEGER,
    "createdById" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "InferenceJob_predictionSetId_fkey" FOREIGN KEY ("predictionSetId") REFERENCES "PredictionSet" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "InferenceJob_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "InferenceJobVideo" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "jobId" INTEGER NOT NULL,
    "videoId" INTEGER NOT NULL,
    "ordinal" INTEGER NOT NULL DEFAULT 0,
    "expressionId" INTEGER,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "error" TEXT,
    "engine" TEXT NOT NULL DEFAULT '',
    "maskEngine" TEXT NOT NULL DEFAULT '',
    "sampledFrames" TEXT NOT NULL DEFAULT '[]',
    "rawOutput" TEXT NOT NULL DEFAULT '',
    "objectCount" INTEGER NOT NULL DEFAULT 0,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "InferenceJobVideo_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "InferenceJob" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "InferenceJobVideo_videoId_fkey" FOREIGN KEY ("videoId") REFERENCES "Video" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "InferenceJobEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "jobId" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "payload" TEXT NOT NULL DEFAULT '{}',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "InferenceJobEvent_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "InferenceJob" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "InferenceJob_predictionSetId_key" ON "InferenceJob"("predictionSetId");

-- CreateIndex
CREATE INDEX "InferenceJob_status_leaseUntil_idx" ON "InferenceJob"("status", "leaseUntil");

-- CreateIndex
CREATE INDEX "InferenceJob_createdById_createdAt_idx" ON "InferenceJob"("createdById", "createdAt");

-- CreateIndex
CREATE INDEX "InferenceJobVideo_videoId_idx" ON "InferenceJobVideo"("videoId");

-- CreateIndex
CREATE UNIQUE INDEX "InferenceJobVideo_jobId_videoId_key" ON "InferenceJobVideo"("jobId", "videoId");

-- CreateIndex
CREATE INDEX "InferenceJobEvent_jobId_id_idx" ON "InferenceJobEvent"("jobId", "id");
