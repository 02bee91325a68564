// For the export benchmark: moto's own Scan responses, recorded once and served again, so the
// shipped CLI can be measured at sizes moto cannot scan in reasonable time (its Scan restarts from
// the first item for every page: 1M items would take hours). The recorder is a proxy in front of
// moto; the replayer serves the recorded bodies byte for byte, `repeat` times over, rewriting only
// LastEvaluatedKey so the pages chain. The client under test still sends real Scan requests and
// parses real response bodies with the real SDK. Not a DynamoDB imitation: it answers only the
// requests it recorded, and only for the benchmark.
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";

const SCAN = "DynamoDB_20120810.Scan";

export interface Recording {
  /** Scan response bodies per segment, in page order, LastEvaluatedKey removed. */
  segments: Map<number, Buffer[]>;
  /** Items per segment (the sum of the pages' Count). */
  counts: Map<number, number>;
  /** The last response to every other target (DescribeTable), as is. */
  others: Map<string, Buffer>;
  totalSegments: number;
}

export const emptyRecording = (): Recording => ({ segments: new Map(), counts: new Map(), others: new Map(), totalSegments: 1 });

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The body without its LastEvaluatedKey (moto writes it as a top-level member holding a small object). */
function withoutLastKey(body: Buffer): Buffer {
  const text = body.toString("utf8");
  const at = text.lastIndexOf('"LastEvaluatedKey"');
  if (at < 0) return body;
  let start = at;
  while (start > 0 && text[start - 1] !== "," && text[start - 1] !== "{") start--;
  if (text[start - 1] === ",") start--;
  let depth = 0;
  let end = text.indexOf("{", at);
  for (let inString = false; end < text.length; end++) {
    const c = text[end];
    if (inString) {
      if (c === "\\") end++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) break;
  }
  const rest = text.slice(end + 1).replace(/^\s*,\s*/, text[start] === "{" ? "" : ", ");
  return Buffer.from(text.slice(0, start) + rest, "utf8");
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
    });
  });
}

const close = (server: Server) => () => new Promise<void>((resolve) => server.close(() => resolve()));

/** A proxy to `target` that records the Scan pages (per segment) and the other answers it passes on. */
export async function startRecorder(target: string, recording: Recording): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readAll(req);
    const upstream = request(`${target}${req.url ?? "/"}`, { method: req.method, headers: req.headers }, async (answer) => {
      const data = await readAll(answer);
      const operation = String(req.headers["x-amz-target"] ?? "");
      if (answer.statusCode === 200 && operation === SCAN) {
        const input = JSON.parse(body.toString("utf8")) as { Segment?: number; TotalSegments?: number };
        const segment = input.Segment ?? 0;
        recording.totalSegments = input.TotalSegments ?? 1;
        const pages = recording.segments.get(segment) ?? [];
        pages.push(withoutLastKey(data));
        recording.segments.set(segment, pages);
        const count = (JSON.parse(data.toString("utf8")) as { Count?: number }).Count ?? 0;
        recording.counts.set(segment, (recording.counts.get(segment) ?? 0) + count);
      } else if (answer.statusCode === 200 && operation) {
        recording.others.set(operation, data);
      }
      const headers = { ...answer.headers };
      delete headers["transfer-encoding"];
      res.writeHead(answer.statusCode ?? 500, headers);
      res.end(data);
    });
    upstream.on("error", (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    upstream.end(body);
  });
  return { endpoint: await listen(server), close: close(server) };
}

/** Items one replay serves: every recorded item `repeat` times. */
export const replayedItems = (recording: Recording, repeat: number) => [...recording.counts.values()].reduce((a, b) => a + b, 0) * repeat;

/**
 * Serves the recording: each segment's pages `repeat` times in a row, chained by a
 * LastEvaluatedKey of its own (`{"id":{"S":"replay:<round>:<page>"}}`). Answers a Scan for a
 * segment count other than the recorded one with a 400, so a mismatch cannot go unnoticed.
 */
export async function startReplayer(recording: Recording, repeat: number): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readAll(req);
    const operation = String(req.headers["x-amz-target"] ?? "");
    const reply = (status: number, data: Buffer | string) => {
      res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "replay" });
      res.end(data);
    };
    if (operation !== SCAN) {
      const data = recording.others.get(operation);
      return data ? reply(200, data) : reply(400, JSON.stringify({ __type: "ValidationException", message: `not recorded: ${operation}` }));
    }
    const input = JSON.parse(body.toString("utf8")) as {
      Segment?: number;
      TotalSegments?: number;
      ExclusiveStartKey?: { id?: { S?: string } };
    };
    if ((input.TotalSegments ?? 1) !== recording.totalSegments) {
      return reply(400, JSON.stringify({ __type: "ValidationException", message: `recorded with ${recording.totalSegments} segments` }));
    }
    const pages = recording.segments.get(input.Segment ?? 0) ?? [];
    const [, round = "0", page = "0"] = /^replay:(\d+):(\d+)$/.exec(input.ExclusiveStartKey?.id?.S ?? "") ?? [];
    let r = Number(round);
    let p = Number(page);
    const data = pages[p];
    if (!data) return reply(200, JSON.stringify({ Items: [], Count: 0, ScannedCount: 0 }));
    p++;
    if (p >= pages.length) {
      r++;
      p = 0;
    }
    if (r >= repeat) return reply(200, data);
    const tail = Buffer.from(`, "LastEvaluatedKey": {"id": {"S": "replay:${r}:${p}"}}}`, "utf8");
    reply(200, Buffer.concat([data.subarray(0, data.length - 1), tail]));
  });
  return { endpoint: await listen(server), close: close(server) };
}
