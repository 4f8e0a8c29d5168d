// Molmo2's own tracking prompt templates, verbatim from allenai/molmo2 `olmo/preprocessing/data_formatter.py`
// (GENERAL_PROMPTS_V1["video_point_track_per_frame"] and ["video_point_track_per_frame_default_fps"]), filled the way
// `apply_keyword_prompt` / `apply_keywords` fill them (`{label}`, `{fps}` = str(int(sampling_fps))).
// The released models were trained on these strings, so the remote runtime asks with them rather than free text.

/** `GENERAL_PROMPTS_V1["video_point_track_per_frame"]` (with an fps keyword). */
export const TRACK_PROMPTS_FPS: readonly string[] = [
  "Track {label} in {fps} FPS.",
  "Track {label} at {fps} FPS",
  "Track the {label} in {fps} FPS",
  "Track all instances of '{label}' in this video, sampling at {fps} frames per second. Show the position coordinates at each timestamp.",
  "Follow the {label} throughout this video. Sample positions at {fps} FPS and mark each with coordinates.",
  "Identify and track each {label} in this video clip. Sample at {fps} frames per second and provide point coordinates.",
  "Monitor the movement of all {label} in this video. Sample at {fps} FPS and output their positions as coordinates.",
  "For each {label} in the video, track its position throughout the clip sampling at {fps} FPS. Return coordinates at each sampled frame.",
  // html-v1 format
  "Track all instances of '{label}' in this video, sampling at {fps} frames per second. Show the position coordinates at each timestamp, given as <track coords=\"t id x y\">label</tracks>.",
  "For each {label} in the video, track its position throughout the clip sampling at {fps} FPS. Return coordinates at each sampled frame, given as <track coords=\"t id x y\">label</tracks>.",
];

/** `GENERAL_PROMPTS_V1["video_point_track_per_frame_default_fps"]` (used for 2 fps, no fps keyword). */
export const TRACK_PROMPTS_DEFAULT_FPS: readonly string[] = [
  "Track {label}.",
  "track the {label}.",
  "track every {label}.",
  "track each {label}",
  "please track \"{label}\".",
  "Track: {label}",
  "tracking: {label}",
  " track the all {label}",
];

/** Default: the explicit "Track all instances of '{label}' …" template (index 3). */
export const DEFAULT_TRACK_TEMPLATE = 3;

export interface TrackPromptOptions {
  /** Referring expression (the `{label}`). */
  label: string;
  /** Sampling rate in frames per second; null = the model's default rate (no-fps template list). */
  fps: number | null;
  /** Index into the template list (default DEFAULT_TRACK_TEMPLATE for fps prompts, 0 otherwise). */
  template?: number;
}

/** Python `str.format`-style keyword substitution of exactly the template's `{name}` fields. */
function applyKeywords(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^{}]+)\}/g, (m, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`prompt template needs {${k}}`);
    return v;
  });
}

/** The user prompt for a tracking query, e.g. `Track all instances of 'the dogs' in this video, sampling at 2 frames …`. */
export function trackPrompt(opts: TrackPromptOptions): string {
  const label = opts.label.trim();
  if (!label) throw new Error("the expression is empty");
  if (opts.fps === null) {
    const i = opts.template ?? 0;
    const t = TRACK_PROMPTS_DEFAULT_FPS[i];
    if (t === undefined) throw new RangeError(`template must be 0..${TRACK_PROMPTS_DEFAULT_FPS.length - 1}, got ${i}`);
    return applyKeywords(t, { label });
  }
  if (!(opts.fps > 0) || !Number.isFinite(opts.fps)) throw new RangeError(`fps must be positive, got ${opts.fps}`);
  const i = opts.template ?? DEFAULT_TRACK_TEMPLATE;
  const t = TRACK_PROMPTS_FPS[i];
  if (t === undefined) throw new RangeError(`template must be 0..${TRACK_PROMPTS_FPS.length - 1}, got ${i}`);
  // The reference passes str(int(sampling_fps)).
  return applyKeywords(t, { label, fps: String(Math.trunc(opts.fps)) });
}
