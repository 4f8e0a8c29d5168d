// TrackEval's MOTChallenge folder layout (`MotChallenge2DBox.__init__` / `_get_seq_info`):
//   <gt>/seqmaps/<BENCH>-<split>.txt                  (csv, first row is a header, first column = sequence)
//   <gt>/<BENCH>-<split>/<seq>/seqinfo.ini            ([Sequence] seqLength)
//   <gt>/<BENCH>-<split>/<seq>/gt/gt.txt
//   <trackers>/<BENCH>-<split>/<tracker>/data/<seq>.txt
// (`skipSplitFolder` drops the <BENCH>-<split> level on both sides, like SKIP_SPLIT_FOL.)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { MotInputError } from "./errors";

export interface MotLayoutOptions {
  gtFolder: string;
  trackersFolder: string;
  benchmark: string;
  split: string;
  /** Trackers to evaluate; default: every directory in the trackers split folder, sorted. */
  trackers?: string[];
  seqmapFile?: string;
  skipSplitFolder?: boolean;
  trackerSubFolder?: string;
}

export interface MotSequenceInfo {
  name: string;
  seqLength: number;
  gtFile: string;
}

export interface MotLayout {
  benchmark: string;
  split: string;
  sequences: MotSequenceInfo[];
  trackers: string[];
  trackerFile(tracker: string, seq: string): string;
}

function readText(file: string, what: string): string {
  if (!existsSync(file) || !statSync(file).isFile()) throw new MotInputError(`${what} not found: ${file}`);
  return readFileSync(file, "utf8");
}

/** Reads `[Sequence] seqLength` from a seqinfo.ini (configparser semantics: case-insensitive keys, '=' or ':'). */
export function readSeqLength(iniFile: string): number {
  const text = readText(iniFile, "seqinfo.ini");
  let section = "";
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const sec = /^\[(.*)\]$/.exec(line);
    if (sec) {
      section = sec[1];
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (section === "Sequence" && kv && kv[1].toLowerCase() === "seqlength") {
      // Plain check instead of a zod schema: `eval mot` start-up is timed against TrackEval and zod is costly to load.
      const v = kv[2].trim();
      if (!/^[+-]?\d+$/.test(v)) throw new MotInputError(`${iniFile} line ${i + 1}: field 'seqLength' is not an integer: '${kv[2]}'`);
      const n = Number.parseInt(v, 10);
      if (!Number.isSafeInteger(n)) throw new MotInputError(`${iniFile} line ${i + 1}: field 'seqLength' is not an integer: '${kv[2]}'`);
      if (n < 0) throw new MotInputError(`${iniFile} line ${i + 1}: field 'seqLength' must be >= 0: '${kv[2]}'`);
      return n;
    }
  }
  throw new MotInputError(`${iniFile}: field 'seqLength' missing from section [Sequence]`);
}

/** Sequence names from a seqmap file: first csv column of every row after the header, blank rows skipped. */
export function readSeqmap(file: string): string[] {
  const text = readText(file, "seqmap");
  const out: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (i === 0) return;
    const name = line.split(",")[0];
    if (name === "") return;
    out.push(name);
  });
  return out;
}

export function resolveMotLayout(opts: MotLayoutOptions): MotLayout {
  const gtSet = `${opts.benchmark}-${opts.split}`;
  const splitFol = opts.skipSplitFolder ? "" : gtSet;
  const gtFol = path.join(opts.gtFolder, splitFol);
  const trackerFol = path.join(opts.trackersFolder, splitFol);
  const sub = opts.trackerSubFolder ?? "data";
  const seqmap = opts.seqmapFile ?? path.join(opts.gtFolder, "seqmaps", `${gtSet}.txt`);
  const names = readSeqmap(seqmap);
  if (names.length < 1) throw new MotInputError(`${seqmap}: no sequences are selected to be evaluated`);
  const sequences = names.map((name) => {
    const seqLength = readSeqLength(path.join(gtFol, name, "seqinfo.ini"));
    const gtFile = path.join(gtFol, name, "gt", "gt.txt");
    if (!existsSync(gtFile)) throw new MotInputError(`GT file not found for sequence ${name}: ${gtFile}`);
    return { name, seqLength, gtFile };
  });
  let trackers = opts.trackers;
  if (!trackers) {
    if (!existsSync(trackerFol)) throw new MotInputError(`trackers folder not found: ${trackerFol}`);
    trackers = readdirSync(trackerFol)
      .filter((n) => statSync(path.join(trackerFol, n)).isDirectory())
      .sort();
    if (trackers.length === 0) throw new MotInputError(`no tracker folders in ${trackerFol}`);
  }
  const trackerFile = (tracker: string, seq: string) => path.join(trackerFol, tracker, sub, `${seq}.txt`);
  for (const tr of trackers) {
    for (const s of sequences) {
      const f = trackerFile(tr, s.name);
      if (!existsSync(f)) throw new MotInputError(`tracker file not found: ${f}`);
    }
  }
  return { benchmark: opts.benchmark, split: opts.split, sequences, trackers, trackerFile };
}
