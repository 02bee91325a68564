/**
 * Writing one day: its rows read back from the spool in the day's order (row-order.ts) under the
 * day's header, hashed, and streamed through the sink for the target; the sink is aborted on any
 * failure or on the signal.
 */
import { createHash } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import { ErrorCode, TraceError } from "../errors";
import { RowAssembler, type Signature } from "./columns";
import type { Day } from "./day-window";
import { objectKey } from "./manifest";
import type { ExportClients, ExportRequest } from "./request";
import { TieOrder } from "./row-order";
import { type CsvSink, type Finished, fileSink, s3Sink, streamSink } from "./sinks";
import { parseCellsPayload, type SpoolWriter } from "./spool";

/** CSV text handed to the sink in pieces of about this many characters (young-generation sized). */
const FLUSH_BYTES = 32 * 1024;

function openSink(clients: ExportClients, request: ExportRequest, day: Day): CsvSink {
  const target = request.target;
  switch (target.kind) {
    case "s3":
      return s3Sink({
        s3: clients.s3 as S3Client,
        bucket: target.bucket,
        key: objectKey(request.table, day),
        kmsKeyId: target.kmsKeyId,
        partSize: target.partSize,
      });
    case "file":
      return fileSink(target.path);
    case "stream":
      return streamSink(target.stream);
    default:
      throw new TraceError(ErrorCode.failed, "a dry run writes nothing");
  }
}

/** Where the day's CSV goes, for the manifest: `s3://…`, a path, `-`, or null on a dry run. */
export function locationOf(request: ExportRequest, day: Day): string | null {
  const target = request.target;
  if (target.kind === "s3") return `s3://${target.bucket}/${objectKey(request.table, day)}`;
  if (target.kind === "file") return target.path;
  if (target.kind === "stream") return "-";
  return null;
}

/** Streams one day from its spool through a sink, hashing; aborts the sink on any failure. */
export async function writeDay(
  clients: ExportClients,
  request: ExportRequest,
  day: { day: Day; spool: SpoolWriter; columns: readonly string[]; signatures: readonly Signature[] },
  signal: AbortSignal,
  onRows: (rows: number) => void,
): Promise<{ bytes: number; sha256: string } & Finished> {
  const sink = openSink(clients, request, day.day);
  const hash = createHash("sha256");
  let bytes = 0;
  const emit = async (text: string) => {
    const chunk = Buffer.from(text, "utf8");
    hash.update(chunk);
    bytes += chunk.length;
    await sink.write(chunk);
  };
  const onAbort = () => {
    void sink.abort();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const assembler = new RowAssembler(day.columns, day.signatures, request.spreadsheetSafe === true);
    let pending = assembler.header;
    const ties = new TieOrder();
    let rows = 0;
    for await (const row of day.spool.sorted()) {
      const { signatureId, cells } = parseCellsPayload(row.payload);
      pending += ties.push(row.key, assembler.line(signatureId, cells));
      if (pending.length >= FLUSH_BYTES) {
        signal.throwIfAborted();
        await emit(pending);
        pending = "";
        onRows(rows);
      }
      rows++;
    }
    pending += ties.end();
    if (pending) await emit(pending);
    signal.throwIfAborted();
    const finished = await sink.finish();
    return { bytes, sha256: hash.digest("hex"), ...finished };
  } catch (error) {
    await sink.abort();
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
