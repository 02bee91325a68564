// The sample events AWS documents (test/fixtures/aws-events/*.json, each citing its page in
// `_source`), and the few adaptations a test needs to feed them to this project's handlers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { projectRoot } from "./paths";

export const AWS_EVENTS_DIR = join(projectRoot, "test", "fixtures", "aws-events");

/** A fixture file as checked in (with its `_source`). */
export function awsFixture<T = Record<string, unknown>>(name: string): T & { _source: Record<string, string> } {
  return JSON.parse(readFileSync(join(AWS_EVENTS_DIR, `${name}.json`), "utf8"));
}

const clone = <T>(value: T): T => structuredClone(value);

/** Lambda's documented DynamoDB stream event (INSERT, MODIFY). */
export const documentedStreamEvent = () => clone(awsFixture<{ event: DynamoDBStreamEvent }>("lambda-dynamodb-stream-event").event);

/** Lambda's documented REMOVE record (third record of the documented time-window event). */
export function documentedRemoveRecord(): DynamoDBRecord {
  const { event } = awsFixture<{ event: { Records: DynamoDBRecord[] } }>("lambda-dynamodb-stream-time-window-event");
  const remove = event.Records.find((r) => r.eventName === "REMOVE");
  if (!remove) throw new Error("the documented time-window event has no REMOVE record");
  return clone(remove);
}

/** The documented REMOVE record with the userIdentity DynamoDB documents for TTL deletions. */
export function documentedTtlRemoveRecord(): DynamoDBRecord {
  const { userIdentity } = awsFixture<{ userIdentity: DynamoDBRecord["userIdentity"] }>("dynamodb-ttl-user-identity");
  return { ...documentedRemoveRecord(), userIdentity };
}

/**
 * The adaptations a documented record needs for this project's tables, and nothing else:
 * - the documented samples abbreviate the record and omit `ApproximateCreationDateTime`, which real
 *   records carry (epoch seconds; API_streams_StreamRecord) and from which both handlers take the
 *   change's time; it is added here;
 * - the key attribute is renamed (the samples use `Id`; Configuration's key is `key`) when asked;
 * - the time-window sample's placeholder `"stream-ARN"` becomes the stream ARN of the documented
 *   INSERT/MODIFY sample when asked (the archiver reads the table name from it).
 */
export function adapt(record: DynamoDBRecord, options: { at?: number; keyName?: string; eventSourceARN?: string } = {}): DynamoDBRecord {
  const copy = clone(record);
  const d = copy.dynamodb ?? {};
  d.ApproximateCreationDateTime = options.at ?? 1_795_000_000;
  if (options.keyName) {
    const rename = (image: Record<string, unknown> | undefined) => {
      if (!image || !("Id" in image)) return image;
      const { Id, ...rest } = image;
      return { ...rest, [options.keyName as string]: Id };
    };
    d.Keys = rename(d.Keys) as never;
    if (d.NewImage) d.NewImage = rename(d.NewImage) as never;
    if (d.OldImage) d.OldImage = rename(d.OldImage) as never;
  }
  copy.dynamodb = d;
  if (options.eventSourceARN) copy.eventSourceARN = options.eventSourceARN;
  return copy;
}
