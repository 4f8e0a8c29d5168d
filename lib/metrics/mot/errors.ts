/** Bad MOTChallenge input (missing file, malformed line, invalid value); the message names file, line and field. */
export class MotInputError extends Error {
  override name = "MotInputError";
}
