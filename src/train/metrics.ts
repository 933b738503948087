// Per-epoch training metrics as JSON Lines: one object per epoch, appended and fsynced as soon as
// the epoch ends, so a crash loses at most the line being written. A diverged run's NaN losses
// are stored as null (JSON has no NaN) and read back as NaN.
import * as E from 'fp-ts/lib/Either.js';
import { appendLine, writeFileAtomic, type WriteHooks } from '../io/atomic.js';
import { FileReadError, readFileBounded } from '../io/read-bounded.js';
import { allFields, invalid, isJsonObject, valid, type Validation } from '../io/validation.js';

/** A metrics log that cannot be used; the message names the file and line. */
export class MetricsError extends Error {
  override name = 'MetricsError';
}

/** A metrics log is a few hundred bytes per epoch; anything near this is not one. */
const MAX_METRICS_BYTES = 64 * 2 ** 20;

export interface MetricsRecord {
  /** 1-based epoch number, as printed ("Epoch: 1/250"). */
  epoch: number;
  trainLoss: number;
  /** Fraction in [0, 1]. */
  trainAcc: number;
  valLoss: number;
  valAcc: number;
  /** The learning rate used during the epoch. */
  lr: number;
  /** Wall time of the epoch (training + validation), seconds. */
  timeSec: number;
  /** Training throughput, images per second. */
  imgPerSec: number;
}

// Field order of the written objects (and the set readMetrics requires).
const FIELDS = ['epoch', 'trainLoss', 'trainAcc', 'valLoss', 'valAcc', 'lr', 'timeSec', 'imgPerSec'] as const satisfies readonly (keyof MetricsRecord)[];
type MetricsField = (typeof FIELDS)[number];
// Values a diverged run can legitimately produce as NaN/Infinity.
const MAY_BE_NAN = new Set<MetricsField>(['trainLoss', 'trainAcc', 'valLoss', 'valAcc']);

/** The jsonl line for one record (no newline). */
export function formatMetricsLine(record: MetricsRecord): string {
  const out: Record<string, number | null> = {};
  for (const k of FIELDS) {
    const v = record[k];
    if (typeof v !== 'number') throw new TypeError(`metrics: ${k} must be a number, got ${typeof v}`);
    if (!Number.isFinite(v)) {
      if (!MAY_BE_NAN.has(k)) throw new RangeError(`metrics: ${k} must be finite, got ${v}`);
      out[k] = null;
    } else out[k] = v;
  }
  if (!Number.isSafeInteger(record.epoch) || record.epoch < 1) throw new RangeError(`metrics: epoch must be a positive integer, got ${record.epoch}`);
  return JSON.stringify(out);
}

/** Appends one epoch's record to a jsonl file (created if absent). */
export async function appendMetrics(path: string, record: MetricsRecord): Promise<void> {
  await appendLine(path, formatMetricsLine(record));
}

/** Replaces the file with exactly these records, atomically (used when resuming, see readMetrics). */
export async function writeMetrics(path: string, records: readonly MetricsRecord[], hooks?: WriteHooks): Promise<void> {
  await writeFileAtomic(path, records.map((r) => `${formatMetricsLine(r)}\n`).join(''), hooks);
}

/**
 * Reads all records. A torn last line (the run died mid-write) is dropped; any other bad line is
 * an error naming the file and line. A missing file reads as no records. To resume from epoch E,
 * keep the records with epoch < E and writeMetrics them back, so the log and the checkpoint agree.
 */
export async function readMetrics(path: string, opts: { onTornLine?: (line: number) => void } = {}): Promise<MetricsRecord[]> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readFileBounded(path, 'metrics log', MAX_METRICS_BYTES));
  } catch (err) {
    if (err instanceof FileReadError && err.code === 'ENOENT') return [];
    throw err;
  }
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) lines.pop(); // the empty string after the final newline
  const records: MetricsRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const isLast = i === lines.length - 1;
    const record = parseRecord(line);
    if (typeof record === 'string') {
      if (isLast && !complete) {
        opts.onTornLine?.(i + 1); // torn final write
        break;
      }
      throw new MetricsError(`${path}:${i + 1}: ${record}`);
    }
    records.push(record);
  }
  return records;
}

function parseRecord(line: string): MetricsRecord | string {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (!isJsonObject(obj)) return 'not a JSON object';
  const num = (k: MetricsField): Validation<number> => {
    const v = obj[k];
    if (v === null && MAY_BE_NAN.has(k)) return valid(NaN);
    if (typeof v === 'number' && Number.isFinite(v)) return valid(v);
    return invalid(`field ${k} is missing or not a number`);
  };
  const fields = allFields({
    epoch: num('epoch'),
    trainLoss: num('trainLoss'),
    trainAcc: num('trainAcc'),
    valLoss: num('valLoss'),
    valAcc: num('valAcc'),
    lr: num('lr'),
    timeSec: num('timeSec'),
    imgPerSec: num('imgPerSec'),
  });
  // the first problem, as the line's one error
  if (E.isLeft(fields)) return fields.left[0];
  const rec: MetricsRecord = fields.right;
  if (!Number.isSafeInteger(rec.epoch) || rec.epoch < 1) return `epoch ${rec.epoch} is not a positive integer`;
  return rec;
}
