// How `trace deploy`, `trace diff` and the demo show a deploy as it goes: the core hands over
// change sets, stack events, the forecast and the bundles; these render them.
import type { DeployHooks } from "../core/deploy/deploy";
import type { Reporter } from "../core/reporter";
import type { CommandContext } from "./context";
import { renderBundled, renderChanges, renderEvent } from "./deploy-render";
import { renderForecast } from "./gate-render";

/** The bundle lines on stderr (every command that deploys or previews shows them). */
export const reportBundled =
  (reporter: Reporter) =>
  (artifacts: Parameters<typeof renderBundled>[0]): void => {
    for (const line of renderBundled(artifacts)) reporter.info(line);
  };

/** `trace deploy`: change-set tables, stack events (NDJSON lines on stdout with --json), the forecast table, the bundles. */
export function deployHooks(ctx: CommandContext): DeployHooks {
  return {
    changeSet: (preview) => ctx.reporter.info(renderChanges(preview)),
    event: (stackName, event) =>
      ctx.output.json
        ? ctx.output.line({
            type: "event",
            stack: stackName,
            time: event.time,
            status: event.status,
            logicalId: event.logicalId,
            resourceType: event.type,
            reason: event.reason,
          })
        : ctx.reporter.info(renderEvent(stackName, event)),
    forecast: (forecast) => ctx.reporter.info(renderForecast(forecast)),
    bundled: reportBundled(ctx.reporter),
  };
}
