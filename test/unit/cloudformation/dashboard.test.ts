// The dashboard and the late-export alarm reference only metrics that exist: the handlers' own
// (lambda/shared/metrics.ts, with the dimensions they carry and a `service` some template gives a
// function) or ones AWS documents for its services (cited below). A dashboard line with a typo
// would draw nothing, and an alarm on it would never fire: this test fails instead.
import { describe, expect, it } from "vitest";
import { METRICS } from "../../../lambda/shared/metrics";
import { environmentSchema } from "../../../src/core/config";
import { configParameters } from "../../../src/core/stacks";
import { type Json, loadTemplate, onlyResource, resourcesOfType } from "../../support/cloudformation";

/**
 * AWS's metrics used here, by namespace, with their dimension:
 * Lambda https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html (Errors, IteratorAge; FunctionName),
 * SQS https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html (QueueName),
 * Step Functions https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html (StateMachineArn).
 */
const AWS_METRICS: Record<string, { names: string[]; dimensions: string[] }> = {
  "AWS/Lambda": { names: ["Errors", "IteratorAge", "Invocations", "Throttles"], dimensions: ["FunctionName"] },
  "AWS/SQS": { names: ["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"], dimensions: ["QueueName"] },
  "AWS/States": {
    names: ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted", "ExecutionsSucceeded"],
    dimensions: ["StateMachineArn"],
  },
};

const TEMPLATES = ["traceability", "audit", "archive"] as const;

/** Every function's POWERTOOLS_SERVICE_NAME, and whether it is given the metrics namespace. */
function services(): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const stack of TEMPLATES) {
    for (const [, fn] of resourcesOfType(loadTemplate(stack), "AWS::Lambda::Function")) {
      const vars = (fn.Properties?.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
      const ns = vars.POWERTOOLS_METRICS_NAMESPACE as { "Fn::Sub"?: string } | undefined;
      found.set(String(vars.POWERTOOLS_SERVICE_NAME), ns?.["Fn::Sub"]);
    }
  }
  return found;
}

/** Checks one metric reference; returns what is wrong with it, or undefined. */
function problem(namespace: string, name: string, dimensions: Record<string, string>): string | undefined {
  const keys = Object.keys(dimensions).sort();
  if (namespace === `trace/\${Stage}`) {
    const catalogued = METRICS[name as keyof typeof METRICS];
    if (!catalogued) return `${name} is not in lambda/shared/metrics.ts`;
    const expected = ["service", ...catalogued.dimensions].sort();
    if (JSON.stringify(keys) !== JSON.stringify(expected)) return `${name} carries dimensions ${expected.join(",")}, not ${keys.join(",")}`;
    const service = services().get(dimensions.service ?? "");
    if (service !== `trace/\${Stage}`) return `${name}: no function with service ${dimensions.service} emits into trace/\${Stage}`;
    if (dimensions.readPath && !["query", "scan", "native"].includes(dimensions.readPath))
      return `${name}: readPath ${dimensions.readPath} is not a manifest readPath`;
    return undefined;
  }
  const known = AWS_METRICS[namespace];
  if (!known) return `namespace ${namespace} is not checked here`;
  if (!known.names.includes(name)) return `${namespace} has no ${name} in the list above`;
  if (JSON.stringify(keys) !== JSON.stringify(known.dimensions)) return `${namespace} ${name} by ${keys.join(",")}`;
  return undefined;
}

function dashboardBody(): { widgets: { type: string; properties: { metrics?: unknown[][] } }[] } {
  const [, dashboard] = onlyResource(loadTemplate("archive"), "AWS::CloudWatch::Dashboard");
  const sub = (dashboard.Properties.DashboardBody as { "Fn::Sub": [string, Record<string, Json>] })["Fn::Sub"];
  // The ${...} placeholders are CloudFormation's; they stay as text (inside JSON strings).
  return JSON.parse(sub[0]);
}

describe("dashboard", () => {
  it("is JSON once CloudFormation substitutes, and every metric line names a metric that exists", () => {
    const body = dashboardBody();
    const lines = body.widgets.flatMap((w) => w.properties.metrics ?? []);
    expect(lines.length).toBeGreaterThan(10);
    const wrong = lines.flatMap((line) => {
      const parts = line.filter((p): p is string => typeof p === "string");
      const [namespace = "", name = "", ...dims] = parts;
      const dimensions: Record<string, string> = {};
      for (let i = 0; i < dims.length; i += 2) dimensions[dims[i] as string] = dims[i + 1] as string;
      const p = problem(namespace, name, dimensions);
      return p ? [p] : [];
    });
    expect(wrong).toEqual([]);
  });

  it("shows every handler metric", () => {
    const shown = new Set(dashboardBody().widgets.flatMap((w) => (w.properties.metrics ?? []).map((l) => String(l[1]))));
    expect(Object.keys(METRICS).filter((m) => !shown.has(m))).toEqual([]);
  });

  it("the checker itself fails a typo, a wrong dimension and an unknown service", () => {
    expect(problem(`trace/\${Stage}`, "ExportedRow", { service: "trazabilidad_export", readPath: "scan" })).toMatch(/not in/);
    expect(problem(`trace/\${Stage}`, "ExportedRows", { service: "trazabilidad_export" })).toMatch(/carries dimensions/);
    expect(problem(`trace/\${Stage}`, "DeletionsArchived", { service: "archive" })).toMatch(/no function/);
    expect(problem("AWS/SQS", "ApproximateNumberOfMessages", { QueueName: "q" })).toMatch(/has no/);
  });
});

describe("alarms", () => {
  it("every alarm on a trace/<stage> metric names one a handler emits, with its dimensions", () => {
    const wrong = TEMPLATES.flatMap((stack) =>
      resourcesOfType(loadTemplate(stack), "AWS::CloudWatch::Alarm").flatMap(([id, alarm]) => {
        const props = alarm.Properties as Record<string, Json>;
        const namespace = (props.Namespace as { "Fn::Sub"?: string })?.["Fn::Sub"];
        if (namespace !== `trace/\${Stage}`) return [];
        const dims = Object.fromEntries(((props.Dimensions ?? []) as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]));
        const p = problem(namespace, String(props.MetricName), dims);
        return p ? [`${stack}.${id}: ${p}`] : [];
      }),
    );
    expect(wrong).toEqual([]);
  });
});

describe("late-export alarm", () => {
  const template = loadTemplate("traceability");
  const [, alarm] = resourcesOfType(template, "AWS::CloudWatch::Alarm").find(([id]) => id === "ExportLateAlarm") ?? [];
  const props = (alarm?.Properties ?? {}) as Record<string, Json>;

  it("watches ExportLate as the export function emits it, and missing data (no check ran) is breaching", () => {
    const dims = Object.fromEntries((props.Dimensions as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]));
    expect(problem((props.Namespace as { "Fn::Sub": string })["Fn::Sub"], String(props.MetricName), dims)).toBeUndefined();
    expect(props.MetricName).toBe("ExportLate");
    expect(props.TreatMissingData).toBe("breaching");
    // Periods of an hour or more may span up to 7 days (PutMetricAlarm, EvaluationPeriods:
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
    expect(Number(props.Period) * Number(props.EvaluationPeriods)).toBeLessThanOrEqual(604_800);
  });

  it("its check fires at exportHour + exportLateAfterMinutes, with those minutes in its input", () => {
    const [, schedule] = resourcesOfType(template, "AWS::Scheduler::Schedule").find(([id]) => id === "ExportLateCheckSchedule") ?? [];
    const p = (schedule?.Properties ?? {}) as Record<string, Json>;
    expect(p.ScheduleExpression).toEqual({ "Fn::Sub": `cron(\${ExportLateCheckMinute} \${ExportLateCheckHour} * * ? *)` });
    expect((p.Target as { Input: { "Fn::Sub": string } }).Input["Fn::Sub"]).toContain(`"lateCheckAfterMinutes":\${ExportLateAfterMinutes}`);
    const base = environmentSchema.parse({ stage: "dev", timeZone: "Europe/Madrid", exportHour: 19 });
    expect(configParameters(base)).toMatchObject({ ExportLateAfterMinutes: "60", ExportLateCheckHour: "20", ExportLateCheckMinute: "0" });
    expect(configParameters({ ...base, exportHour: 23, exportLateAfterMinutes: 95 })).toMatchObject({
      ExportLateCheckHour: "0",
      ExportLateCheckMinute: "35",
    });
  });
});
