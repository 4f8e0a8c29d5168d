// Small shared helpers for CLI commands: argument parsing and user-facing errors.
import { parseArgs, type ParseArgsConfig } from "node:util";

/** An error caused by the user's input; printed without a stack trace. */
export class UserError extends Error {
  override name = "UserError";
}

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

/** Parses a JSON option value, naming the option on failure. */
export function jsonOption(name: string, text: string | undefined): unknown {
  if (text === undefined) throw new UserError(`--${name} is required`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`--${name} is not valid JSON: ${(e as Error).message}`);
  }
}

export function numberOption(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UserError(`--${name} is required`);
    return fallback;
  }
  const v = Number(text);
  if (!Number.isFinite(v)) throw new UserError(`--${name} must be a number, got '${text}'`);
  return v;
}

export type Subcommand = (argv: string[]) => Promise<number> | number;

/**
 * Runs the subcommand named by `argv[0]` from `table`. No subcommand prints the usage and exits 2; `help`, `--help` or
 * `-h` prints it and exits 0; an unknown name is a UserError carrying the usage.
 */
export async function runSubcommand(argv: string[], table: Readonly<Record<string, Subcommand>>, usage: string): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "help" || sub === "--help" || sub === "-h") {
    console.log(usage);
    return sub === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(table, sub) ? table[sub] : undefined;
  if (!command) throw new UserError(`unknown subcommand '${sub}'\n${usage}`);
  return command(rest);
}
