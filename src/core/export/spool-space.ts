/**
 * Free space for the day spools. The deployed function spools to its `/tmp` (ephemeral storage,
 * 512 MiB unless configured), so a large day can fill it; rather than dying on ENOSPC halfway
 * through a write, the export checks the disk before it scans and again as the spools grow, and
 * stops with a message that names the sizes and what to change.
 */
import { statfs } from "node:fs/promises";
import { ErrorCode, TraceError } from "../errors";

export interface DiskSpace {
  /** Bytes available to this process. */
  free: number;
  /** Size of the file system in bytes. */
  total: number;
}

/** Reads the free space of the file system holding `dir` (injectable for tests). */
export type FreeSpace = (dir: string) => Promise<DiskSpace>;

export const statfsSpace: FreeSpace = async (dir) => {
  const s = await statfs(dir);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
};

/** The export function's /tmp (Lambda ephemeral storage), in MiB: Lambda's bounds, and our default. */
export const EPHEMERAL_STORAGE_MIB = { min: 512, max: 10240, default: 2048 } as const;

/** Free space always left on the disk: the export stops before it would go below. */
export const SPOOL_RESERVE_BYTES = 16 * 1024 * 1024;
/** The disk is looked at again after this much more has been spooled. */
export const SPOOL_CHECK_EVERY_BYTES = 4 * 1024 * 1024;
/**
 * Once this share of the table has been read, the spool's final size is projected from the
 * table's item count (DescribeTable, refreshed by DynamoDB about every six hours) …
 */
const PROJECT_AFTER = 0.1;
/** … and the export stops early only when the projection exceeds the free space by this factor. */
const PROJECTION_MARGIN = 1.5;

const mib = (bytes: number) => {
  const n = bytes / 1024 / 1024;
  return `${n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString("en-US")} MiB`;
};

/** How the spool disk is watched; every member has a default. */
export interface SpoolDisk {
  /** Default: statfs. */
  freeSpace?: FreeSpace;
  /** What to change when the disk is too small (the deployed function names its config key). */
  hint?: string;
  /** Spooled bytes between two looks at the disk (default SPOOL_CHECK_EVERY_BYTES). */
  checkEveryBytes?: number;
}

export interface SpoolSpaceOptions extends SpoolDisk {
  dir: string;
  /** The table's approximate item count, for the projection; absent or 0: no projection. */
  tableItems?: number;
}

/** Watches the spool directory's disk; `check` throws a TraceError when the spool will not fit. */
export class SpoolSpace {
  private readonly freeSpace: FreeSpace;
  private readonly every: number;
  private nextCheck: number;

  constructor(private readonly options: SpoolSpaceOptions) {
    this.freeSpace = options.freeSpace ?? statfsSpace;
    this.every = options.checkEveryBytes ?? SPOOL_CHECK_EVERY_BYTES;
    this.nextCheck = this.every;
  }

  private fail(message: string): never {
    throw new TraceError(ErrorCode.failed, message, {
      hint:
        this.options.hint ?? "free space on that disk, or point TMPDIR at a larger one (a day's spool takes a little more than its CSV)",
    });
  }

  /** Before the scan: the disk must have more than the reserve free. */
  async before(): Promise<void> {
    const { free, total } = await this.freeSpace(this.options.dir);
    if (free < SPOOL_RESERVE_BYTES) {
      this.fail(
        `${this.options.dir} has ${mib(free)} free of ${mib(total)}: no room to spool the export (it keeps ${mib(SPOOL_RESERVE_BYTES)} free)`,
      );
    }
  }

  /** While spooling, cheap between checks: `spooled` bytes so far after `scanned` items read. */
  async during(spooled: number, scanned: number): Promise<void> {
    if (spooled < this.nextCheck) return;
    this.nextCheck = spooled + this.every;
    const { free, total } = await this.freeSpace(this.options.dir);
    const where = `${this.options.dir} (${mib(total)})`;
    if (free < SPOOL_RESERVE_BYTES) {
      this.fail(
        `the export's spool filled ${where}: ${mib(spooled)} spooled after ${scanned.toLocaleString("en-US")} items read, ${mib(free)} left`,
      );
    }
    const items = this.options.tableItems ?? 0;
    if (items > 0 && scanned >= items * PROJECT_AFTER) {
      const projected = (spooled * items) / scanned;
      if (projected - spooled > (free - SPOOL_RESERVE_BYTES) * PROJECTION_MARGIN) {
        this.fail(
          `the export's spool will not fit in ${where}: ${mib(spooled)} spooled after ${scanned.toLocaleString("en-US")} of about ${items.toLocaleString("en-US")} items, heading for ${mib(projected)} with ${mib(free)} free`,
        );
      }
    }
  }
}
