/**
 * The day's rows on local disk while the scan runs, so memory stays flat whatever the day's
 * size: the header (which needs every attribute name of the day) is known only when the scan
 * ends, and an object's first bytes must be its header. One line per row:
 * `<signature id>\t<JSON array of quoted cells>`; JSON escapes line breaks, so lines split cleanly.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";

// Small batches and chunks on purpose: strings under ~128 KB stay in V8's young generation and die
// there; large ones go straight to the old generation and inflate the peak until a full GC.
const READ_CHUNK = 32 * 1024;
/** Rows are batched into writes of about this many characters. */
const BATCH_CHARS = 16 * 1024;

export class SpoolWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;
  private pending = "";
  rows = 0;
  /** Characters written so far (bytes for ASCII; a lower bound otherwise). */
  size = 0;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { highWaterMark: 256 * 1024 });
    this.stream.on("error", (error) => {
      this.failure = error;
    });
  }

  /** Appends a row; returns false when the caller should wait for `drained()`. */
  write(signatureId: number, cells: readonly string[]): boolean {
    if (this.failure) throw this.failure;
    this.rows++;
    const line = `${signatureId}\t${JSON.stringify(cells)}\n`;
    this.size += line.length;
    this.pending += line;
    if (this.pending.length < BATCH_CHARS) return true;
    const batch = this.pending;
    this.pending = "";
    return this.stream.write(batch);
  }

  async drained(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.stream.writableNeedDrain) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.stream.closed) return;
    this.stream.end(this.pending);
    this.pending = "";
    await once(this.stream, "close");
    if (this.failure) throw this.failure;
  }

  destroy(): void {
    this.stream.destroy();
  }
}

/**
 * Reads the spooled rows back, in order. A hand-rolled line splitter over the file stream: the
 * consumer's pace sets the reading pace (readline's async iterator may queue lines unbounded).
 */
export async function* readSpool(path: string): AsyncGenerator<{ signatureId: number; cells: string[] }> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK })) {
    const text = rest + decoder.write(chunk as Buffer);
    let start = 0;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
      const tab = text.indexOf("\t", start);
      yield { signatureId: Number(text.slice(start, tab)), cells: JSON.parse(text.slice(tab + 1, end)) as string[] };
      start = end + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest.trim() !== "") throw new Error(`spool ${path} ends with an incomplete row`);
}
