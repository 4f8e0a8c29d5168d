// Molmo2 point/track text formats (html-v1 / html-v2 `<points>` / `<tracks>`, legacy Molmo-1 forms):
// writer and parser reproducing allenai/molmo2 `olmo/preprocessing/point_formatter.py`.
export type { FramePoints, OutputMode, Point2, PointingFormat, Result, TrackFrameInput } from "./types";
export { extractAnyPoints, extractMultiImagePoints, extractPoints, extractPointTracks, extractTracks, type IdentifiedPoint, type FramePoint, type ParseSize, type PerImageSizes, type TrackParseOptions } from "./extract";
export { legacyClockString, type LegacyTrackFormat, type OccludableFramePoints, type OccludablePoint } from "./legacyParser";
export {
  buildPointOutput,
  formatImagePoints,
  formatMultiImagePoints,
  formatTracks,
  formatVideoPoints,
  type ImagePoints,
  type ImageSize,
  type PointWriterOptions,
  type TrackWriterOptions,
  type WriterOptions,
} from "./writer";
export {
  formatLegacyImagePoints,
  formatLegacyTracks,
  formatLegacyVideoPoints,
  type LegacyImageFormat,
  type LegacyImageOptions,
  type LegacyTrackOptions,
  type LegacyTrackStyle,
  type LegacyVideoPointsFormat,
  type LegacyVideoPointsOptions,
} from "./legacyWriter";
