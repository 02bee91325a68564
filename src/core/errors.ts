/**
 * Typed errors and the exit codes they map to. Core throws these; the single top-level
 * catch in the CLI renders them, and Lambda handlers log them with their code.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  auth: 5,
  /** `trace health`: the check ran and found a problem (cron and monitors alert on it). */
  unhealthy: 6,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const ErrorCode = {
  failed: "FAILED",
  usage: "USAGE",
  config: "CONFIG",
  notFound: "NOT_FOUND",
  conflict: "CONFLICT",
  credentials: "CREDENTIALS",
  accessDenied: "ACCESS_DENIED",
  throttled: "THROTTLED",
  interrupted: "INTERRUPTED",
  declined: "DECLINED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const exitCodeFor: Record<ErrorCode, ExitCode> = {
  FAILED: ExitCode.failed,
  USAGE: ExitCode.usage,
  CONFIG: ExitCode.usage,
  NOT_FOUND: ExitCode.notFound,
  CONFLICT: ExitCode.conflict,
  CREDENTIALS: ExitCode.auth,
  ACCESS_DENIED: ExitCode.auth,
  THROTTLED: ExitCode.failed,
  INTERRUPTED: ExitCode.interrupted,
  DECLINED: ExitCode.failed,
};

export interface TraceErrorOptions {
  /** One line telling the operator what to do about it. */
  hint?: string;
  cause?: unknown;
  /** AWS request id, shown with --verbose. */
  requestId?: string;
}

export class TraceError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly requestId: string | undefined;

  constructor(code: ErrorCode, message: string, options: TraceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TraceError";
    this.code = code;
    this.hint = options.hint;
    this.requestId = options.requestId;
  }

  get exitCode(): ExitCode {
    return exitCodeFor[this.code];
  }
}

export const usageError = (message: string, hint?: string) => new TraceError(ErrorCode.usage, message, { hint });
export const notFoundError = (message: string, hint?: string) => new TraceError(ErrorCode.notFound, message, { hint });
export const conflictError = (message: string, hint?: string) => new TraceError(ErrorCode.conflict, message, { hint });
export const interruptedError = (message = "interrupted") => new TraceError(ErrorCode.interrupted, message);

const credentialNames = new Set([
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "TokenRefreshRequired",
]);
const accessDeniedNames = new Set(["AccessDenied", "AccessDeniedException", "AuthorizationError", "KMSAccessDeniedException"]);
const notFoundNames = new Set([
  "ResourceNotFoundException",
  "NoSuchBucket",
  "NoSuchKey",
  "NotFound",
  "NotFoundException",
  "TableNotFoundException",
]);
const throttleNames = new Set([
  "ThrottlingException",
  "Throttling",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "SlowDown",
  "TooManyRequestsException",
]);

interface AwsLikeError {
  name?: string;
  message?: string;
  $metadata?: { requestId?: string; httpStatusCode?: number };
}

/** True when the error is the SDK (or our code) reacting to an AbortSignal. */
export function isAbortError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === "AbortError" || (error instanceof TraceError && error.code === ErrorCode.interrupted);
}

/**
 * Turns any thrown value into a TraceError: AWS SDK errors are classified by name so the
 * operator gets the right exit code and a hint (credentials, permissions, missing resource).
 * `what` names the thing being worked on, e.g. `table "dev-TRAZABILIDAD"`.
 */
export function toTraceError(error: unknown, what?: string): TraceError {
  if (error instanceof TraceError) return error;
  if (isAbortError(error)) return new TraceError(ErrorCode.interrupted, "interrupted", { cause: error });
  const e = (error ?? {}) as AwsLikeError;
  const name = e.name ?? "Error";
  const message = e.message ?? String(error);
  const requestId = e.$metadata?.requestId;
  const subject = what ? `${what}: ` : "";
  if (credentialNames.has(name) || /could not load credentials|credential/i.test(message)) {
    return new TraceError(ErrorCode.credentials, `${subject}AWS credentials are missing, invalid or expired (${message})`, {
      hint: "configure them with `aws configure` / `aws sso login --profile <name>`, or pass --profile, or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; for the emulator use --local",
      cause: error,
      requestId,
    });
  }
  if (accessDeniedNames.has(name)) {
    return new TraceError(ErrorCode.accessDenied, `${subject}access denied (${message})`, {
      hint: "the credentials in use lack a permission: check the role or profile (--profile) and its policies",
      cause: error,
      requestId,
    });
  }
  if (notFoundNames.has(name) || e.$metadata?.httpStatusCode === 404) {
    return new TraceError(ErrorCode.notFound, `${subject}not found (${message})`, {
      hint: "check --env / --region, and that the stacks are deployed (`trace status`)",
      cause: error,
      requestId,
    });
  }
  if (throttleNames.has(name)) {
    return new TraceError(ErrorCode.throttled, `${subject}AWS kept throttling the requests (${message})`, {
      hint: "retry later, or lower the parallelism (for export: --segments)",
      cause: error,
      requestId,
    });
  }
  if (name === "ConditionalCheckFailedException") {
    return new TraceError(ErrorCode.conflict, `${subject}${message}`, { cause: error, requestId });
  }
  const unparsed = unparsedResponse(error);
  if (unparsed !== undefined) {
    // An emulator may answer an AWS call with another service's error (moto, on a stack whose
    // creation failed half-way): the SDK can only say "XML parse error". Show what was said.
    return new TraceError(
      ErrorCode.failed,
      `${subject}the endpoint sent no valid AWS response (HTTP ${e.$metadata?.httpStatusCode ?? "?"}): ${unparsed}`,
      {
        hint: "against the local emulator, `trace --local destroy` removes the broken stack; `trace local stop` throws all its data away",
        cause: error,
        requestId,
      },
    );
  }
  const code = (error as { code?: string })?.code;
  const host = /getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (\S+)/.exec(message)?.[1];
  if (code === "ENOTFOUND" || host) {
    return new TraceError(
      ErrorCode.failed,
      `${subject}no such host ${host ?? "(unknown)"}: the region or the endpoint does not exist, or DNS is unreachable`,
      {
        hint: "check --region / AWS_REGION (e.g. eu-west-1) and --endpoint-url / AWS_ENDPOINT_URL, and the network",
        cause: error,
      },
    );
  }
  if (code === "ECONNREFUSED" || /ECONNREFUSED/.test(message)) {
    return new TraceError(ErrorCode.failed, `${subject}could not connect to the AWS endpoint (${message})`, {
      hint: "check --endpoint-url / AWS_ENDPOINT_URL; for local mode run `trace local start`",
      cause: error,
    });
  }
  return new TraceError(ErrorCode.failed, `${subject}${message}`, { cause: error, requestId });
}

/**
 * The body of a response the SDK could not parse (its "Deserialization error"), as text: the
 * emulator's own message. Undefined for any other error.
 */
export function unparsedResponse(error: unknown): string | undefined {
  const e = error as { message?: string; $response?: { body?: unknown } };
  if (!/Deserialization error|XML parse error/.test(e?.message ?? "")) return undefined;
  const body = e.$response?.body;
  const text = typeof body === "string" ? body : "";
  try {
    const parsed = JSON.parse(text) as { message?: string; Message?: string; __type?: string };
    const message = parsed.message ?? parsed.Message;
    if (message) return parsed.__type ? `${parsed.__type.replace(/^.*#/, "")}: ${message}` : message;
  } catch {
    // not JSON: the text as it came
  }
  return text.trim().slice(0, 300) || "(empty body)";
}
