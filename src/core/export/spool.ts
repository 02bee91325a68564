/**
 * The day's rows on local disk while the scan runs, so memory stays flat whatever the day's
 * size: the header (which needs every attribute name of the day) is known only when the scan
 * ends, and an object's first bytes must be its header. One line per row:
 * `<signature id>\t<JSON array of quoted cells>`; JSON escapes line breaks, so lines split cleanly.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";

export class SpoolWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;
  rows = 0;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { highWaterMark: 1 << 20 });
    this.stream.on("error", (error) => {
      this.failure = error;
    });
  }

  /** Appends a row; returns false when the caller should wait for `drained()`. */
  write(signatureId: number, cells: readonly string[]): boolean {
    if (this.failure) throw this.failure;
    this.rows++;
    return this.stream.write(`${signatureId}\t${JSON.stringify(cells)}\n`);
  }

  get needsDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  async drained(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.stream.writableNeedDrain) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.stream.closed) return;
    this.stream.end();
    await once(this.stream, "close");
    if (this.failure) throw this.failure;
  }

  destroy(): void {
    this.stream.destroy();
  }
}

/** Reads the spooled rows back, in order. */
export async function* readSpool(path: string): AsyncGenerator<{ signatureId: number; cells: string[] }> {
  const lines = createInterface({ input: createReadStream(path, { highWaterMark: 1 << 20 }), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line === "") continue;
    const tab = line.indexOf("\t");
    yield { signatureId: Number(line.slice(0, tab)), cells: JSON.parse(line.slice(tab + 1)) as string[] };
  }
}
