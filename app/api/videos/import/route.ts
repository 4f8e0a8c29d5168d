// POST /api/videos/import {projectId, folder} — imports every video in a server-side folder under the import
// root (admin). Answers per file: the new video, or the error naming the file and the reason.
import { importFolderBody } from "../../../../lib/services/schemas";
import { importFolderVideos } from "../../../../lib/services/videos";
import { body, route } from "../../../_server/route";
import { importRoot, maxUploadBytes, videoStoreDir } from "../../../_server/storage";

export const POST = route(["admin"], async ({ req, db, actor }) => {
  const b = await body(req, importFolderBody);
  const results = await importFolderVideos(db, actor, { projectId: b.projectId, folder: b.folder, importRoot: importRoot(), storeDir: videoStoreDir(), maxBytes: maxUploadBytes() });
  return { imported: results.filter((r) => r.video).length, failed: results.filter((r) => r.error).length, results };
});
