/** What a drill reports (`trace drill --json`; fields are only ever added, `schemaVersion` changes otherwise). */
import type { Difference } from "./compare";

export interface DrillCheck {
  name: "restore" | "count" | "items" | "day-export";
  /** null: not run (and why is in `summary`). */
  passed: boolean | null;
  summary: string;
}

export interface DayResult {
  date: string;
  /** The day's manifest in the data bucket: what the export of that day committed. */
  manifest: { rows: number; sha256: string | null; location: string | null; finishedAt: string };
  /** The day exported again from the source and from the restored table, the same way (scan, one segment), to local files. */
  source: { rows: number; sha256: string };
  restored: { rows: number; sha256: string };
  /** The source's export today equals the manifest's (false: the day changed since, or its rows came in another order). */
  sourceMatchesManifest: boolean;
  /** Ids whose rows differ between the source's and the restored table's export of the day. */
  differingRows: string[];
}

export interface DrillReport {
  schemaVersion: 1;
  environment: string;
  /** The source table and its region. */
  table: string;
  region: string;
  /** Where the restore went. */
  scratchTable: string;
  scratchRegion: string;
  /** pitr, a DynamoDB backup, an AWS Backup recovery point, or a table restored before (--restored). */
  source: { kind: "pitr" | "dynamodb-backup" | "aws-backup" | "restored"; recoveryPoint: string | null; where: string | null };
  /** The instant the restored data is of (ISO). */
  restorePoint: string;
  /**
   * What the restore is compared with: the source read just before the restore point (the
   * default point-in-time drill), or the source as it is now (a past time, a backup).
   */
  reference: "source-before-restore" | "source-now";
  /** How old the newest recoverable write was when the drill began (PITR's latest restorable time, or the newest backup). */
  rpo: { seconds: number | null; newestRecoverable: string | null };
  /** How long the restore took: request accepted → table ACTIVE. */
  rto: { seconds: number | null; startedAt: string | null; activeAt: string | null; waitedForRestorableSeconds: number | null };
  counts: { source: number; restored: number; identical: number };
  /** Differences no documented rule accounts for (up to 50; `differenceCount` has them all). */
  differences: Difference[];
  differenceCount: number;
  /** Differences accounted for by a later write or a TTL expiry (up to 50). */
  explained: Difference[];
  explainedCount: number;
  day: DayResult | null;
  checks: DrillCheck[];
  passed: boolean;
  scratch: "deleted" | "kept" | "not-created";
  durationSeconds: number;
}

/** Differences listed in a report, at most. */
export const LISTED = 50;
