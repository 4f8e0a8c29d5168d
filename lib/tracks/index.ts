// Public surface of the point-track model.
export * from "./types";
export * from "./interpolate";
export * from "./edit";
