// CLI progress bar for long runs; silent when stderr is not a terminal unless forced.
import cliProgress from "cli-progress";

export interface Progress {
  tick(n?: number): void;
  stop(): void;
}

export function progressBar(label: string, total: number, opts: { force?: boolean } = {}): Progress {
  const show = opts.force || process.stderr.isTTY || process.env.GROUNDTRACK_PROGRESS === "1";
  if (!show || total <= 0) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {value}/{total} eta {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      // Forced bars (GROUNDTRACK_PROGRESS=1, or a command's own choice) also draw into pipes and log files.
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 1000,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  let done = 0;
  return {
    tick(n = 1) {
      done += n;
      bar.update(Math.min(done, total));
    },
    stop() {
      bar.stop();
    },
  };
}
