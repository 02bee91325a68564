/** Where CloudFormation reads a template from: inline up to its size limit, else from the artifact bucket. */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import type { StackTemplate } from "./templates";
import { sha256Hex } from "./zip";

/** CloudFormation's limit for TemplateBody; larger templates must come from S3. */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

/** A template as CloudFormation takes it: inline or by URL. */
export type TemplateLocation = { templateBody: string } | { templateUrl: string };

export async function templateLocation(
  s3: Pick<S3Client, "send">,
  template: StackTemplate,
  bucket: string | undefined,
  region: string,
  signal?: AbortSignal,
): Promise<TemplateLocation> {
  const bytes = Buffer.byteLength(template.body);
  if (bytes <= MAX_TEMPLATE_BODY_BYTES) return { templateBody: template.body };
  if (!bucket) {
    throw new TraceError(
      ErrorCode.usage,
      `${template.path} is ${bytes} bytes, over CloudFormation's inline limit, and there is no artifact bucket to upload it to`,
      {
        hint: "deploy the bootstrap stack first (`trace deploy bootstrap`)",
      },
    );
  }
  const key = `templates/${template.stack}/${sha256Hex(Buffer.from(template.body))}.yaml`;
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: template.body, ContentType: "text/yaml" }), {
      abortSignal: signal,
    });
  } catch (error) {
    throw toTraceError(error, `uploading the template to s3://${bucket}/${key}`);
  }
  return { templateUrl: `https://${bucket}.s3.${region}.amazonaws.com/${key}` };
}
