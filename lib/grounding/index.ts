// Public API of the grounding core: preprocessing geometry, MolmoPoint codec, constrained decoder.
export * from "./tokens";
export * from "./pooling";
export * from "./image-tiling";
export * from "./video-grid";
export * from "./video-sampling";
export * from "./codec";
export * from "./multi-image";
export * from "./point-string";
export * from "./decoder";
export * from "./rotary";
export * from "./text";
