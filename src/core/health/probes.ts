/**
 * The reads behind `trace health`, one AWS call (or a few) each, every one read-only. A probe
 * whose API the endpoint lacks (an emulator) answers `unavailable` instead of failing the check;
 * the report says so. Response fields are the ones the API references document (cited per probe).
 */
import { type CloudFormationClient, paginateListStackResources } from "@aws-sdk/client-cloudformation";
import { type CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { type LambdaClient, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { DescribePipeCommand, type PipesClient } from "@aws-sdk/client-pipes";
import { ListExecutionsCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { errorName, isUnavailable } from "../deploy/unavailable";

/** A probe's answer, or why there is none. */
export type Probe<T> = { ok: true; value: T } | { ok: false; unavailable: true; message: string };

export async function probe<T>(what: string, read: () => Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    if (isUnavailable(error)) return { ok: false, unavailable: true, message: `${what}: not available on this endpoint` };
    throw error;
  }
}

/** The queue's name: the last segment of its URL (https://sqs.<region>.amazonaws.com/<account>/<name>). */
export const queueName = (url: string) => url.slice(url.lastIndexOf("/") + 1);

/**
 * Visible and in-flight messages (GetQueueAttributes, ApproximateNumberOfMessages and
 * ApproximateNumberOfMessagesNotVisible; https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html).
 */
export async function queueDepth(sqs: SQSClient, url: string, signal: AbortSignal): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
    { abortSignal: signal },
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

export interface MetricQuery {
  id: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

/**
 * The newest Maximum of each metric over the last 15 minutes (GetMetricData;
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html), or null
 * where CloudWatch has no datapoint (AWS/SQS ApproximateAgeOfOldestMessage and AWS/Lambda
 * IteratorAge are published by the services; an emulator publishes none).
 */
export async function newestMaxima(
  cloudwatch: CloudWatchClient,
  queries: readonly MetricQuery[],
  now: number,
  signal: AbortSignal,
): Promise<Record<string, number | null>> {
  const MetricDataQueries: MetricDataQuery[] = queries.map((q) => ({
    Id: q.id,
    MetricStat: {
      Metric: {
        Namespace: q.namespace,
        MetricName: q.metricName,
        Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: 60,
      Stat: "Maximum",
    },
    ReturnData: true,
  }));
  const { MetricDataResults = [] } = await cloudwatch.send(
    new GetMetricDataCommand({
      MetricDataQueries,
      StartTime: new Date(now - 15 * 60_000),
      EndTime: new Date(now),
      ScanBy: "TimestampDescending",
    }),
    { abortSignal: signal },
  );
  const result: Record<string, number | null> = Object.fromEntries(queries.map((q) => [q.id, null]));
  for (const r of MetricDataResults) {
    // TimestampDescending: the first value is the newest.
    if (r.Id && r.Values && r.Values.length > 0) result[r.Id] = r.Values[0] ?? null;
  }
  return result;
}

export interface AlarmSummary {
  name: string;
  state: string;
  reason: string;
  since: string | null;
}

/** The CloudWatch alarms the stacks declare (ListStackResources, AWS::CloudWatch::Alarm: the physical id is the alarm's name). */
export async function stackAlarmNames(
  cloudformation: CloudFormationClient,
  stacks: readonly string[],
  signal: AbortSignal,
): Promise<string[]> {
  const names: string[] = [];
  for (const stack of stacks) {
    try {
      for await (const page of paginateListStackResources({ client: cloudformation }, { StackName: stack }, {
        abortSignal: signal,
      } as never)) {
        for (const r of page.StackResourceSummaries ?? []) {
          if (r.ResourceType === "AWS::CloudWatch::Alarm" && r.PhysicalResourceId) names.push(r.PhysicalResourceId);
        }
      }
    } catch (error) {
      if (errorName(error) === "ValidationError") continue; // stack not deployed: reported from its outputs
      throw error;
    }
  }
  return names;
}

/**
 * The named alarms and those whose names start with `prefix` (CloudFormation names an alarm without
 * AlarmName after its stack), with state and reason (DescribeAlarms;
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
 */
export async function describeAlarms(
  cloudwatch: CloudWatchClient,
  names: readonly string[],
  prefix: string,
  signal: AbortSignal,
): Promise<AlarmSummary[]> {
  const found = new Map<string, AlarmSummary>();
  const add = (alarms: { AlarmName?: string; StateValue?: string; StateReason?: string; StateUpdatedTimestamp?: Date }[] = []) => {
    for (const a of alarms) {
      if (!a.AlarmName) continue;
      found.set(a.AlarmName, {
        name: a.AlarmName,
        state: a.StateValue ?? "UNKNOWN",
        reason: a.StateReason ?? "",
        since: a.StateUpdatedTimestamp?.toISOString() ?? null,
      });
    }
  };
  for (let i = 0; i < names.length; i += 100) {
    const page = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
      { abortSignal: signal },
    );
    add(page.MetricAlarms);
    add(page.CompositeAlarms);
  }
  let NextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], NextToken }),
      { abortSignal: signal },
    );
    add(page.MetricAlarms);
    add(page.CompositeAlarms);
    NextToken = page.NextToken;
  } while (NextToken);
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export interface MappingSummary {
  uuid: string;
  state: string;
  functionArn: string;
  lastProcessingResult: string | null;
  stateTransitionReason: string | null;
}

/**
 * The event source mappings reading a stream (ListEventSourceMappings filtered by EventSourceArn;
 * https://docs.aws.amazon.com/lambda/latest/api/API_ListEventSourceMappings.html).
 */
export async function streamMappings(lambda: LambdaClient, streamArn: string, signal: AbortSignal): Promise<MappingSummary[]> {
  const { EventSourceMappings = [] } = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: streamArn }), {
    abortSignal: signal,
  });
  return EventSourceMappings.map((m) => ({
    uuid: m.UUID ?? "",
    state: m.State ?? "UNKNOWN",
    functionArn: m.FunctionArn ?? "",
    lastProcessingResult: m.LastProcessingResult ?? null,
    stateTransitionReason: m.StateTransitionReason ?? null,
  }));
}

export interface PipeSummary {
  name: string;
  /** CurrentState (RUNNING, STOPPED, CREATE_FAILED, …), or NOT_FOUND. */
  state: string;
  desiredState: string | null;
  reason: string | null;
}

/** A Pipe's state (DescribePipe; https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_DescribePipe.html). */
export async function describePipe(pipes: PipesClient, name: string, signal: AbortSignal): Promise<PipeSummary> {
  try {
    const p = await pipes.send(new DescribePipeCommand({ Name: name }), { abortSignal: signal });
    return { name, state: p.CurrentState ?? "UNKNOWN", desiredState: p.DesiredState ?? null, reason: p.StateReason ?? null };
  } catch (error) {
    if (errorName(error) === "NotFoundException") return { name, state: "NOT_FOUND", desiredState: null, reason: null };
    throw error;
  }
}

export interface ExecutionSummary {
  name: string;
  status: string;
  startDate: string | null;
  stopDate: string | null;
}

/** The state machine's newest executions (ListExecutions; https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html). */
export async function lastExecutions(
  sfn: SFNClient,
  stateMachineArn: string,
  count: number,
  signal: AbortSignal,
): Promise<ExecutionSummary[]> {
  const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: count }), { abortSignal: signal });
  return executions
    .map((e) => ({
      name: e.name ?? "",
      status: e.status ?? "UNKNOWN",
      startDate: e.startDate?.toISOString() ?? null,
      stopDate: e.stopDate?.toISOString() ?? null,
    }))
    .sort((a, b) => (b.startDate ?? "").localeCompare(a.startDate ?? ""));
}
