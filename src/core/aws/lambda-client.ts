/**
 * The Lambda client on its own: `trace status` and `trace rollback` read and move the functions'
 * aliases and need no other client of more-clients.ts, whose SDK packages together take about
 * 0.4 s to load (`AwsClients.loadLambda()`).
 */
import { LambdaClient } from "@aws-sdk/client-lambda";
import { type AwsSettings, commonConfig } from "./client-config";

export const createLambdaClient = (settings: AwsSettings) => new LambdaClient(commonConfig(settings));
