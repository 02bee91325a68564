/**
 * A fix hint as an `aws` CLI command aimed at the environment in use: its endpoint (the local
 * emulator's, so a hint never sends a delete to the real account), region and profile.
 */
import type { ResolvedEnvironment } from "../config";

export function awsCli(env: Pick<ResolvedEnvironment, "region" | "endpointUrl" | "profile">, command: string): string {
  const flags = [
    env.endpointUrl ? `--endpoint-url ${env.endpointUrl}` : "",
    `--region ${env.region}`,
    env.profile ? `--profile ${env.profile}` : "",
  ].filter((f) => f !== "");
  return `aws ${flags.join(" ")} ${command}`;
}
