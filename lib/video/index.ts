// Public API of lib/video: ingest, frame-exact index, shot changes, cached frame chunks, synthetic demo videos.
export { VideoError, isVideoError, type VideoErrorCode } from "./errors";
export { ffmpegPath, ffprobePath } from "./binaries";
export { sniffContainer, SNIFF_BYTES, EXTENSIONS, type ContainerKind } from "./sniff";
export { probeVideo, type VideoMeta, type ProbeOptions } from "./probe";
export { detectShotBoundaries, type ShotDetectorOptions } from "./shots";
export {
  ingestVideo,
  importFolder,
  validateOriginalName,
  DEFAULT_MAX_BYTES,
  type IngestOptions,
  type IngestResult,
  type ImportFolderOptions,
  type ImportFolderEntry,
} from "./ingest";
export {
  generateSyntheticVideo,
  syntheticGroundTruth,
  defaultScene,
  referringExpressions,
  SyntheticSpecSchema,
  SHAPE_CATEGORIES,
  COLOURS,
  type SyntheticSpec,
  type SyntheticObjectSpec,
  type SyntheticGroundTruth,
  type GroundTruthObject,
  type GroundTruthPoint,
  type PointState,
  type ReferringExpression,
  type ShapeCategory,
  type ColourName,
} from "./synthetic";
export {
  FrameStore,
  rawRgbFrame,
  type FrameStoreOptions,
  type FrameFormat,
  type FrameSize,
  type FrameChunk,
  type FrameImage,
  type VideoSource,
} from "./frames";
