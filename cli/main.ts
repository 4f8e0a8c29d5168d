// Command dispatch. Each command lives in its own module under cli/commands and exports
// `run(argv: string[]): Promise<number>` (the process exit code).

export interface CommandModule {
  run(argv: string[]): Promise<number>;
  /** One line for `groundtrack help`. */
  summary: string;
}

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  grounding: () => import("./commands/grounding.ts"),
  eval: () => import("./commands/eval.ts"),
  video: () => import("./commands/video.ts"),
  tracks: () => import("./commands/tracks.ts"),
  db: () => import("./commands/db.ts"),
  sam2: () => import("./commands/sam2.ts"),
  query: () => import("./commands/query.ts"),
  synth: () => import("./commands/synth.ts"),
  train: () => import("./commands/train.ts"),
};

async function loadable(name: string): Promise<CommandModule | null> {
  try {
    return await COMMANDS[name]();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String(e).includes(`commands/${name}.ts`)) return null;
    throw e;
  }
}

async function help(): Promise<number> {
  const lines = ["usage: groundtrack <command> [options]", "", "commands:"];
  for (const name of Object.keys(COMMANDS)) {
    const mod = await loadable(name);
    if (mod) lines.push(`  ${name.padEnd(10)} ${mod.summary}`);
  }
  console.log(lines.join("\n"));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") return help();
  const mod = name in COMMANDS ? await loadable(name) : null;
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
