// The native path's assembly on the emulator's S3, which enforces S3's 5 MiB minimum for every
// part but the last (EntityTooSmall on CompleteMultipartUpload): parts of at least 5 MiB are
// copied server-side (UploadPartCopy, by range when a pending buffer took their first bytes),
// smaller ones gathered; the object is the header and the parts in order, and its sha256 is the
// one the manifest will carry. A missing part fails the assembly and leaves no upload behind.
import { createHash } from "node:crypto";
import { ListMultipartUploadsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleObject, MIN_PART_BYTES } from "../../../src/core/export/native/assemble";
import { emulatorClients } from "../../support/emulator";
import { createVersionedBucket, readBytes, TEST_KEY_ARN } from "./support";

const MiB = 1024 * 1024;
/** Distinct bytes per part, so that a part out of place or cut at the wrong byte shows. */
const body = (name: string, size: number) => {
  return Buffer.concat(Array.from({ length: Math.ceil(size / 44) }, (_, i) => Buffer.from(`${name}${i},${"x".repeat(40)}\r\n`))).subarray(
    0,
    size,
  );
};

describe("assembling a CSV from parts (UploadPartCopy and gathered buffers)", () => {
  const clients = emulatorClients();
  let bucket: string;
  const sizes: [string, number][] = [
    ["a", 6 * MiB], // after the header: too big to gather whole, too small to split → gathered, flushed
    ["b", 7 * MiB], // nothing pending → copied whole
    ["c", 1024], // gathered
    ["d", 12 * MiB], // tops the buffer up to 5 MiB from its first bytes, the rest copied by range
    ["e", 3 * MiB], // gathered
    ["f", 3 * MiB], // gathered, the buffer passes 5 MiB → flushed
    ["g", 2048], // gathered, the last part
  ];

  beforeAll(async () => {
    bucket = await createVersionedBucket(clients);
    for (const [name, size] of sizes) {
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `work/parts/${name}.csv`, Body: body(name, size) }));
    }
  });
  afterAll(() => clients.destroy());

  it("the object is the header and the parts in order; large parts are copied, small ones gathered", async () => {
    const header = "id,estado\r\n";
    const assembled = await assembleObject({
      s3: clients.s3,
      bucket,
      kmsKeyId: TEST_KEY_ARN,
      key: "exports/T/dt=2026-11-22/T_2026-11-22.csv",
      header,
      parts: sizes.map(([name, bytes]) => ({ key: `work/parts/${name}.csv`, bytes })),
    });
    const expected = Buffer.concat([Buffer.from(header), ...sizes.map(([name, size]) => body(name, size))]);
    const stored = await readBytes(clients, bucket, "exports/T/dt=2026-11-22/T_2026-11-22.csv");
    expect(stored.length).toBe(expected.length);
    expect(stored.equals(expected)).toBe(true);
    expect(assembled).toMatchObject({
      bytes: expected.length,
      sha256: createHash("sha256").update(expected).digest("hex"),
      copied: 2,
      buffered: 5,
    });
    expect(assembled.versionId).toBeTruthy();
    expect(MIN_PART_BYTES).toBe(5 * MiB);
  });

  it("a header alone (no rows) is a one-part object", async () => {
    const assembled = await assembleObject({
      s3: clients.s3,
      bucket,
      kmsKeyId: TEST_KEY_ARN,
      key: "empty.csv",
      header: "id\r\n",
      parts: [],
    });
    expect((await readBytes(clients, bucket, "empty.csv")).toString()).toBe("id\r\n");
    expect(assembled).toMatchObject({ bytes: 4, copied: 0, buffered: 0 });
  });

  it("a missing part fails the assembly and aborts the upload: no object, no upload left", async () => {
    await expect(
      assembleObject({
        s3: clients.s3,
        bucket,
        kmsKeyId: TEST_KEY_ARN,
        key: "broken.csv",
        header: "id\r\n",
        parts: [
          { key: "work/parts/b.csv", bytes: 7 * MiB },
          { key: "work/parts/missing.csv", bytes: 6 * MiB },
        ],
      }),
    ).rejects.toThrow();
    await expect(readBytes(clients, bucket, "broken.csv")).rejects.toThrow();
    const uploads = await clients.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });
});
