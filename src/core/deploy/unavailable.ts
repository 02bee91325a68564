/** Telling "this endpoint has no such API" (an emulator) and "no such thing" answers from other errors. */
/**
 * The endpoint has no such API: AWS answers every API call with a parseable error, while an emulator
 * without the operation answers with an HTML page (moto 5.2.5: 404 for unknown REST paths such as
 * Lambda's GetAccountSettings, 500 "Internal Server Error" for unimplemented query actions such as
 * DetectStackDrift and UpdateTerminationProtection), which the SDK cannot deserialize.
 */
export function isUnavailable(error: unknown): boolean {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; $response?: { body?: unknown } };
  const text = `${e.name ?? ""} ${e.message ?? ""}`;
  if (/not (been )?implemented|UnknownOperation|InvalidAction/i.test(text)) return true;
  const status = e.$metadata?.httpStatusCode ?? 0;
  const html =
    /Deserialization error|<html|<!doctype|Unexpected token '<'/i.test(text) ||
    /^\s*<(!doctype|html)/i.test(String(e.$response?.body ?? ""));
  return html && (status === 404 || status === 500 || status === 501);
}

/** The error name of an SDK error (for "does not exist" answers). */
export const errorName = (error: unknown): string => (error as { name?: string }).name ?? "";
export const httpStatus = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
