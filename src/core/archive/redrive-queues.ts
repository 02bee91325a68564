/**
 * `trace archive redrive`: every message of the archive's dead-letter queues, recovered by hand
 * (redrive.ts does the work). A message whose records are all in the archive is deleted; one that
 * is not (the stream no longer holds its records, or archiving failed) is left in its queue, made
 * visible again at the end so a later run or archive_redrive sees it, and reported.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { toTraceError } from "../errors";
import { type DeadLetterOutcome, type RedriveDeps, recoverDeadLetter } from "./redrive";

export interface DeadLetterQueue {
  /** What the queue is, for the report: "pipes" (PipeDeadLetterQueue) or "archive" (ArchiveDeadLetterQueue). */
  name: string;
  url: string;
}

export type MessageReport = DeadLetterOutcome & { queue: string; messageId: string };

export interface RedriveReport {
  messages: MessageReport[];
  /** Records now archived by this run. */
  archived: number;
  /** Records that were already archived. */
  alreadyArchived: number;
  /** Records that failed to archive (left in the queue, retry later). */
  failed: number;
  /** Pointers whose records the stream no longer holds (left in the queue as the record of the loss). */
  lost: number;
  /** Messages neither a pointer nor an archive event (left in the queue). */
  unknown: number;
}

// Long enough to recover a message's records before another reader could receive it again.
const VISIBILITY_SECONDS = 120;

async function receive(sqs: Pick<SQSClient, "send">, url: string, signal?: AbortSignal): Promise<Message[]> {
  try {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: VISIBILITY_SECONDS, WaitTimeSeconds: 1 }),
      { abortSignal: signal },
    );
    return Messages ?? [];
  } catch (error) {
    throw toTraceError(error, `dead-letter queue ${url}`);
  }
}

/** Recovers every message of the queues, in order; see the module comment. */
export async function redriveQueues(
  deps: RedriveDeps & { sqs: Pick<SQSClient, "send">; onMessage?: (report: MessageReport) => void },
  queues: readonly DeadLetterQueue[],
): Promise<RedriveReport> {
  const messages: MessageReport[] = [];
  for (const queue of queues) {
    const seen = new Set<string>();
    const kept: string[] = [];
    try {
      for (;;) {
        const fresh = (await receive(deps.sqs, queue.url, deps.signal)).filter((m) => m.MessageId && !seen.has(m.MessageId));
        if (fresh.length === 0) break;
        for (const message of fresh) {
          seen.add(message.MessageId as string);
          const outcome = await recoverDeadLetter(deps, message.Body ?? "");
          const report = { ...outcome, queue: queue.name, messageId: message.MessageId as string };
          messages.push(report);
          deps.onMessage?.(report);
          if (outcome.settled) await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }));
          else if (message.ReceiptHandle) kept.push(message.ReceiptHandle);
        }
      }
    } finally {
      // What stays in the queue is visible again at once, for the next run or archive_redrive.
      for (const handle of kept) {
        await deps.sqs
          .send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: handle, VisibilityTimeout: 0 }))
          .catch((error: unknown) =>
            deps.archiver.reporter.warn(
              `a message left in ${queue.name} stays invisible for ${VISIBILITY_SECONDS} s: ${toTraceError(error).message}`,
            ),
          );
      }
    }
  }
  const records = messages.flatMap((m) => m.records);
  return {
    messages,
    archived: records.filter((r) => r.status === "archived").length,
    alreadyArchived: records.filter((r) => r.status === "already-archived").length,
    failed: records.filter((r) => r.status === "failed").length + messages.filter((m) => m.kind === "pointer" && m.error).length,
    lost: messages.filter((m) => m.lost).length,
    unknown: messages.filter((m) => m.kind === "unknown").length,
  };
}
