// Molmo2 / MolmoPoint point metrics: image pointing, PointBench, video pointing, tracking F1,
// point HOTA, counting, plus a distance judge for point-only ground truth. See README.md.
export * from "./types";
export * from "./py-round";
export * from "./hit-test";
export * from "./prf";
export * from "./image-pointing";
export * from "./video-pointing";
export * from "./counting";
export * from "./tracking-f1";
export * from "./point-hota";
export * from "./tracking";
export { masksAtFrame, maskOfObject } from "./frame-judge";
export * from "./track-inputs";
export * from "./from-text";
