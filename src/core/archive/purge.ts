/**
 * Purging one item from the archive (the right to erasure): every object version and every
 * delete marker under the item's folder, in a versioned bucket, after confirmation.
 */
import { DeleteObjectsCommand, ListObjectVersionsCommand, type ObjectIdentifier } from "@aws-sdk/client-s3";
import { ErrorCode, notFoundError, TraceError, toTraceError, usageError } from "../errors";
import type { Reporter } from "../reporter";
import { type ArchiveStore, orderKeyParts } from "./lister";
import { candidatePrefixes, type KeyPart, parseArchiveObjectKey } from "./object-key";

export interface PurgeDeps extends ArchiveStore {
  reporter: Reporter;
}

export interface PurgeResult {
  table: string;
  keys: Record<string, string>;
  /** Distinct archived deletions (object keys). */
  archivedVersions: number;
  objectVersions: number;
  deleteMarkers: number;
  remaining: number;
}

interface Found {
  objects: ObjectIdentifier[];
  objectVersions: number;
  deleteMarkers: number;
  keys: Set<string>;
  /** Objects under the prefix that belong to other items (a longer key). */
  others: Set<string>;
}

/**
 * Every object version and delete marker of the item, under each folder it may lie in (the form
 * written now and the readable one). The folder fixes every key segment, so no body is read: delete
 * markers have none.
 */
async function findVersions(store: ArchiveStore, table: string, keys: readonly KeyPart[]): Promise<Found> {
  const found: Found = { objects: [], objectVersions: 0, deleteMarkers: 0, keys: new Set(), others: new Set() };
  for (const prefix of candidatePrefixes(table, keys)) await findUnder(store, prefix, keys.length, found);
  return found;
}

async function findUnder(store: ArchiveStore, prefix: string, segments: number, found: Found): Promise<void> {
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  try {
    do {
      const page = await store.s3.send(
        new ListObjectVersionsCommand({ Bucket: store.bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker }),
        { abortSignal: store.signal },
      );
      const entries = [
        ...(page.Versions ?? []).map((v) => ({ key: v.Key, versionId: v.VersionId, marker: false })),
        ...(page.DeleteMarkers ?? []).map((m) => ({ key: m.Key, versionId: m.VersionId, marker: true })),
      ];
      for (const entry of entries) {
        if (!entry.key) continue;
        const ref = parseArchiveObjectKey(entry.key);
        // Exactly this item: same number of key segments (the prefix already fixed each of them).
        if (!ref || ref.keySegments !== segments) {
          found.others.add(entry.key);
          continue;
        }
        found.objects.push({ Key: entry.key, ...(entry.versionId ? { VersionId: entry.versionId } : {}) });
        found.keys.add(entry.key);
        if (entry.marker) found.deleteMarkers++;
        else found.objectVersions++;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
  } catch (error) {
    throw toTraceError(error, `bucket ${store.bucket}`);
  }
}

/**
 * Permanently deletes every archived version of one item, including non-current object versions
 * and delete markers, after `reporter.confirm` (non-TTY without --yes → usage error). Checks
 * afterwards that nothing is left.
 */
export async function purgeItem(deps: PurgeDeps, options: { table: string; keys: readonly KeyPart[] }): Promise<PurgeResult> {
  const { keys } = await orderKeyParts(deps, options.table, options.keys);
  const label = keys.map((k) => `${k.name}=${JSON.stringify(k.value)}`).join(", ");
  const found = await findVersions(deps, options.table, keys);
  if (found.objects.length === 0) {
    if (found.others.size > 0) {
      throw usageError(
        `${label} is only part of the key of the archived items of table "${options.table}"`,
        "name every key attribute with --key (see `trace archive list`)",
      );
    }
    throw notFoundError(
      `nothing archived for ${label} in table "${options.table}"`,
      "see `trace archive list --table <t> --key name=value`",
    );
  }
  const question =
    `Permanently delete ${found.keys.size} archived deletion(s) of ${label} from table "${options.table}"'s archive ` +
    `(${found.objectVersions} object version(s), ${found.deleteMarkers} delete marker(s))? This cannot be undone.`;
  if (!(await deps.reporter.confirm(question, { default: false }))) {
    throw new TraceError(ErrorCode.declined, "purge declined; nothing was deleted");
  }
  for (let i = 0; i < found.objects.length; i += 1000) {
    const batch = found.objects.slice(i, i + 1000);
    try {
      const out = await deps.s3.send(new DeleteObjectsCommand({ Bucket: deps.bucket, Delete: { Objects: batch, Quiet: true } }), {
        abortSignal: deps.signal,
      });
      if (out.Errors && out.Errors.length > 0) {
        const first = out.Errors[0];
        throw new TraceError(
          ErrorCode.failed,
          `could not delete ${out.Errors.length} object version(s), e.g. ${first?.Key} (${first?.Code}: ${first?.Message})`,
          {
            hint: "the operator needs s3:DeleteObjectVersion on the data bucket; rerun the purge once fixed",
          },
        );
      }
    } catch (error) {
      throw toTraceError(error, `bucket ${deps.bucket}`);
    }
  }
  const left = await findVersions(deps, options.table, keys);
  if (left.objects.length > 0) {
    throw new TraceError(ErrorCode.failed, `${left.objects.length} version(s) of ${label} are still in the archive after the purge`, {
      hint: "rerun the purge; check the bucket's object lock settings",
    });
  }
  return {
    table: options.table,
    keys: Object.fromEntries(keys.map((k) => [k.name, k.value])),
    archivedVersions: found.keys.size,
    objectVersions: found.objectVersions,
    deleteMarkers: found.deleteMarkers,
    remaining: 0,
  };
}
