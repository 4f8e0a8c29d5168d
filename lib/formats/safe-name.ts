// File names that a track file references (a video name, a sequence name) are data, not paths to follow:
// reject anything that could climb out of, or jump outside, the directory they will be resolved against.

/** Why `name` is not a safe relative file name, or null when it is. */
export function unsafeNameReason(name: string): string | null {
  if (name.length === 0) return "is empty";
  if (name.length > 1024) return "is longer than 1024 characters";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "contains a control character";
  if (name.includes("\\")) return "contains a backslash";
  if (name.startsWith("/") || name.startsWith("~")) return "is an absolute or home-relative path";
  if (/^[A-Za-z]:/.test(name)) return "starts with a drive letter";
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(name)) return "is a URL";
  if (name.split("/").some((seg) => seg === ".." || seg === ".")) return "contains a '.' or '..' path segment";
  if (name.split("/").some((seg) => seg === "")) return "contains an empty path segment";
  return null;
}
