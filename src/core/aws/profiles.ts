/**
 * A named profile is checked before any AWS call: the SDK reports a profile that is in neither
 * shared file as "Could not load credentials from any providers", which sends people looking for
 * expired keys. The files and their section names are those the AWS CLI and SDKs document
 * (https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html): `[default]` or
 * `[profile name]` in the config file, `[name]` in the credentials file; AWS_CONFIG_FILE and
 * AWS_SHARED_CREDENTIALS_FILE move them.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ErrorCode, TraceError } from "../errors";

function sections(path: string, configFile: boolean): string[] {
  if (!existsSync(path)) return [];
  const names: string[] = [];
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const match = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(line);
    if (!match?.[1]) continue;
    const name = match[1];
    if (!configFile) names.push(name);
    else if (name === "default") names.push(name);
    else if (name.startsWith("profile ")) names.push(name.slice("profile ".length).trim());
  }
  return names;
}

/** Throws a config error (exit 2) naming the files when `profile` is in neither shared file. */
export function checkProfileExists(profile: string, env: NodeJS.ProcessEnv = process.env): void {
  const configPath = env.AWS_CONFIG_FILE || join(homedir(), ".aws", "config");
  const credentialsPath = env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), ".aws", "credentials");
  const known = [...new Set([...sections(configPath, true), ...sections(credentialsPath, false)])];
  if (known.includes(profile)) return;
  throw new TraceError(ErrorCode.config, `AWS profile "${profile}" is not defined in ${configPath} or ${credentialsPath}`, {
    hint: `${known.length > 0 ? `known profiles: ${known.join(", ")}; ` : ""}check --profile / AWS_PROFILE / the environment's \`profile\`, or create it with \`aws configure --profile ${profile}\``,
  });
}
