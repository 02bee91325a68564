/**
 * The local stand-in for Lambda running a function (the emulator creates functions but cannot run
 * them without Docker): invoke a function's alias the way Lambda would, with the code of the
 * version the alias names, that version's environment variables, and the credentials of its
 * execution role. The code is the deployment package deploy uploaded (found in the artifact bucket
 * by the version's CodeSha256), run in its own Node process, kept warm between invocations as a
 * Lambda execution environment is. So what processes a local stream is what is deployed: after
 * `trace rollback`, the version rolled back to.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import type { AwsClients } from "../core/aws/clients";
import { ErrorCode, TraceError, toTraceError } from "../core/errors";
import type { Reporter } from "../core/reporter";
import { readZip } from "./zip-read";

/** A function's alias (or version) to invoke. */
export interface InvokeTarget {
  functionName: string;
  qualifier: string;
}

/** What Lambda reports for the version an alias names. */
interface DeployedVersion {
  /** The function's ARN, unqualified. */
  functionArn: string;
  version: string;
  codeSha256: string;
  handler: string;
  role: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment: Record<string, string>;
}

export interface FunctionRunnerOptions {
  clients: Pick<AwsClients, "lambda" | "s3" | "sts" | "settings">;
  /** The bootstrap stack's bucket, where deploy put every deployment package. */
  artifactBucket: string;
  /** Where unpacked packages are kept (one directory per CodeSha256). */
  cacheDir: string;
  reporter: Reporter;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface Environment {
  child: ChildProcess;
  ready: Promise<void>;
  pending: Map<string, Pending>;
  version: DeployedVersion;
  stderr: string[];
}

// The execution environment: loads the package once, then runs each invocation it is sent.
const RUNTIME = `
import { pathToFileURL } from "node:url";
const [file, handlerName] = process.argv.slice(1);
const mod = await import(pathToFileURL(file).href);
process.on("message", async (m) => {
  const context = { ...m.context, getRemainingTimeInMillis: () => m.deadline - Date.now() };
  try {
    const result = await mod[handlerName](m.event, context);
    process.send({ id: m.id, result: result === undefined ? null : result });
  } catch (e) {
    process.send({ id: m.id, error: { errorType: e?.name ?? "Error", errorMessage: e?.message ?? String(e) } });
  }
});
process.send({ ready: true });
`;

/** Error an invocation ends with when the function throws or times out, as Lambda reports it. */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

export class FunctionRunner {
  private readonly environments = new Map<string, Promise<Environment>>();

  constructor(private readonly options: FunctionRunnerOptions) {
    if (!options.clients.settings.endpointUrl)
      throw new TraceError(ErrorCode.usage, "deployed functions run locally only against an emulator (--local or --endpoint-url)");
  }

  /** Invokes the target synchronously (RequestResponse): resolves to its result, rejects with its error. */
  async invoke(target: InvokeTarget, event: unknown): Promise<unknown> {
    const key = `${target.functionName}:${target.qualifier}`;
    let started = this.environments.get(key);
    if (!started) {
      started = this.start(target);
      this.environments.set(key, started);
      started.catch(() => this.environments.delete(key));
    }
    const env = await started;
    await env.ready;
    const id = randomUUID();
    const timeoutMs = env.version.timeoutSeconds * 1000;
    const context = {
      functionName: target.functionName,
      functionVersion: env.version.version,
      invokedFunctionArn: `${env.version.functionArn}:${target.qualifier}`,
      memoryLimitInMB: String(env.version.memoryMb),
      awsRequestId: id,
      logGroupName: `/aws/lambda/${target.functionName}`,
      logStreamName: `local/[${env.version.version}]${id.slice(0, 8)}`,
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        env.pending.delete(id);
        this.stop(key);
        reject(new FunctionError("Sandbox.Timedout", `Task timed out after ${env.version.timeoutSeconds.toFixed(2)} seconds`));
      }, timeoutMs);
      env.pending.set(id, { resolve, reject, timer });
      env.child.send({ id, event, context, deadline: Date.now() + timeoutMs });
    });
  }

  /** The version the alias names now (what an invocation would run). */
  async describe(target: InvokeTarget): Promise<DeployedVersion> {
    try {
      const c = await this.options.clients.lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: target.functionName, Qualifier: target.qualifier }),
      );
      return {
        functionArn: (c.FunctionArn ?? "").replace(/:[^:]*$/, (q) => (/^:(\$LATEST|\d+)$/.test(q) ? "" : q)),
        version: c.Version ?? "$LATEST",
        codeSha256: c.CodeSha256 ?? "",
        handler: c.Handler ?? "index.handler",
        role: c.Role ?? "",
        timeoutSeconds: c.Timeout ?? 3,
        memoryMb: c.MemorySize ?? 128,
        environment: c.Environment?.Variables ?? {},
      };
    } catch (error) {
      throw toTraceError(error, `function ${target.functionName}:${target.qualifier}`);
    }
  }

  private async start(target: InvokeTarget): Promise<Environment> {
    const version = await this.describe(target);
    const [bundle, credentials] = await Promise.all([this.unpack(version.codeSha256), this.assumeRole(version.role, target.functionName)]);
    const [file, handlerName] = version.handler.split(".") as [string, string];
    const { settings } = this.options.clients;
    const child = spawn(
      process.execPath,
      ["--enable-source-maps", "--input-type=module", "-e", RUNTIME, join(bundle, `${file}.mjs`), handlerName],
      {
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        env: {
          PATH: process.env.PATH,
          ...version.environment,
          AWS_REGION: settings.region,
          AWS_DEFAULT_REGION: settings.region,
          AWS_ENDPOINT_URL: settings.endpointUrl,
          AWS_ACCESS_KEY_ID: credentials.AccessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey,
          AWS_SESSION_TOKEN: credentials.SessionToken,
          AWS_EC2_METADATA_DISABLED: "true",
          AWS_LAMBDA_FUNCTION_NAME: target.functionName,
          AWS_LAMBDA_FUNCTION_VERSION: version.version,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(version.memoryMb),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        },
      },
    );
    const env: Environment = { child, pending: new Map(), version, stderr: [], ready: Promise.resolve() };
    env.ready = new Promise((resolve, reject) => {
      child.once("exit", (code) =>
        reject(new FunctionError("Runtime.ExitError", `the function exited at start (${code}): ${env.stderr.join("")}`)),
      );
      child.on("message", (m: { ready?: boolean; id?: string; result?: unknown; error?: { errorType: string; errorMessage: string } }) => {
        if (m.ready) return resolve();
        const pending = env.pending.get(m.id ?? "");
        if (!pending) return;
        env.pending.delete(m.id ?? "");
        clearTimeout(pending.timer);
        if (m.error) pending.reject(new FunctionError(m.error.errorType, m.error.errorMessage));
        else pending.resolve(m.result);
      });
    });
    this.forwardLogs(target, env);
    return env;
  }

  /** The function's structured logs: warnings and errors to the reporter, the rest with --verbose. */
  private forwardLogs(target: InvokeTarget, env: Environment): void {
    const { reporter } = this.options;
    let buffered = "";
    env.child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines.filter((l) => l.trim() !== "")) {
        let entry: { level?: string; message?: string } | undefined;
        try {
          entry = JSON.parse(line);
        } catch {
          entry = undefined;
        }
        const text = `${target.functionName}:${env.version.version}: ${entry?.message ?? line}`;
        if (entry?.level === "WARN" || entry?.level === "ERROR") reporter.warn(text, entry as Record<string, unknown>);
        else reporter.debug(text);
      }
    });
    env.child.stderr?.on("data", (chunk: Buffer) => env.stderr.push(chunk.toString("utf8")));
    env.child.on("exit", () => {
      for (const [id, pending] of env.pending) {
        clearTimeout(pending.timer);
        pending.reject(new FunctionError("Runtime.ExitError", `the function's process exited: ${env.stderr.join("").slice(-500)}`));
        env.pending.delete(id);
      }
    });
  }

  /** The deployment package with this CodeSha256, unpacked (once) into the cache. */
  private async unpack(codeSha256: string): Promise<string> {
    const hex = Buffer.from(codeSha256, "base64").toString("hex");
    const dir = join(this.options.cacheDir, hex);
    if (existsSync(join(dir, "index.mjs"))) return dir;
    const { s3, settings } = this.options.clients;
    const bucket = this.options.artifactBucket;
    let key: string | undefined;
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "lambda/", ContinuationToken: token }));
      key = page.Contents?.find((o) => o.Key?.endsWith(`/${hex}.zip`))?.Key;
      token = page.NextContinuationToken;
    } while (!key && token);
    if (!key) {
      throw new TraceError(
        ErrorCode.notFound,
        `no deployment package with sha256 ${hex} in s3://${bucket}/lambda/ (${settings.endpointUrl})`,
        {
          hint: "deploy the function again: `trace deploy`",
        },
      );
    }
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const files = readZip(Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()));
    mkdirSync(dir, { recursive: true });
    for (const [name, data] of files) writeFileSync(join(dir, name), data);
    return dir;
  }

  private async assumeRole(roleArn: string, session: string) {
    try {
      const { Credentials } = await this.options.clients.sts.send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: session.slice(0, 64) }),
      );
      if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) throw new Error("no credentials returned");
      return Credentials;
    } catch (error) {
      throw toTraceError(error, `assuming ${roleArn}, the role of ${session}`);
    }
  }

  private stop(key: string): void {
    const started = this.environments.get(key);
    this.environments.delete(key);
    started?.then((env) => env.child.kill("SIGKILL")).catch(() => {});
  }

  /** Ends every execution environment. */
  async close(): Promise<void> {
    const all = [...this.environments.values()];
    this.environments.clear();
    for (const started of all) {
      const env = await started.catch(() => undefined);
      if (env && env.child.exitCode === null) env.child.kill("SIGTERM");
    }
  }
}
