// The outcome of reading a track file: a value, or one error that names where the input is wrong.

export interface FormatError {
  /** Full human-readable message, already prefixed with the file name and line or JSON path. */
  message: string;
  /** 1-based line number in a text/XML input, when known. */
  line?: number;
  /** JSON path (e.g. `frame_trajectories[3].points[0].point`) in a JSON input, when known. */
  path?: string;
  /** Name of the offending field or attribute, when known. */
  field?: string;
}

export type ImportResult<T> =
  | { ok: true; value: T; /** Things present in the input that the neutral form cannot hold. */ warnings: string[] }
  | { ok: false; error: FormatError };

/** Thrown inside a parser to abort with a located error; always caught at the importer's boundary. */
export class FormatFailure extends Error {
  override name = "FormatFailure";
  constructor(readonly error: FormatError) {
    super(error.message);
  }
}

/** Builds a located error. `where` is e.g. `gt.txt line 12` or `annotations.json: frame_trajectories[0]`. */
export function failure(where: string, detail: string, loc: Omit<FormatError, "message"> = {}): FormatFailure {
  return new FormatFailure({ message: `${where}: ${detail}`, ...loc });
}

/** Runs a parser, turning FormatFailure into an error result; any other exception is a bug and propagates. */
export function guard<T>(parse: (warnings: string[]) => T): ImportResult<T> {
  const warnings: string[] = [];
  try {
    return { ok: true, value: parse(warnings), warnings };
  } catch (e) {
    if (e instanceof FormatFailure) return { ok: false, error: e.error };
    throw e;
  }
}
