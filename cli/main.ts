// Command dispatch. Each command lives in its own module under cli/commands and exports
// `run(argv: string[]): Promise<number>` (the process exit code).

export interface CommandModule {
  run(argv: string[]): Promise<number>;
  /** One line for `groundtrack help`. */
  summary: string;
}

// Commands are loaded on demand so one command's dependencies never slow down another.
const COMMANDS = ["grounding", "eval", "video", "tracks", "sam2", "query", "synth", "train", "models"] as const;

async function loadable(name: string): Promise<CommandModule | null> {
  try {
    return (await import(`./commands/${name}.ts`)) as CommandModule;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String(e).includes(`commands/${name}.ts`)) return null;
    throw e;
  }
}

async function help(): Promise<number> {
  const lines = ["usage: groundtrack <command> [options]", "", "commands:"];
  for (const name of COMMANDS) {
    const mod = await loadable(name);
    if (mod) lines.push(`  ${name.padEnd(10)} ${mod.summary}`);
  }
  console.log(lines.join("\n"));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") return help();
  const mod = (COMMANDS as readonly string[]).includes(name) ? await loadable(name) : null;
  if (!mod) {
    console.error(`groundtrack: unknown command '${name}'. Run 'groundtrack help'.`);
    return 2;
  }
  try {
    return await mod.run(rest);
  } catch (e) {
    // Commands throw UserError for bad input; anything else is a bug and keeps its stack.
    if (e instanceof Error && e.name === "UserError") {
      console.error(`groundtrack ${name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
