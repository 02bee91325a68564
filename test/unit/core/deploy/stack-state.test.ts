// The stack-status classifier every deploy decision reads: statuses from CloudFormation's list
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html, StackStatus).
import { describe, expect, it } from "vitest";
import { type StackState, stackState } from "../../../../src/core/deploy/stack-state";

const cases: [string | undefined, StackState][] = [
  [undefined, "absent"],
  ["REVIEW_IN_PROGRESS", "absent"],
  ["DELETE_COMPLETE", "absent"],
  ["ROLLBACK_COMPLETE", "creation-failed"],
  ["ROLLBACK_FAILED", "creation-failed"],
  ["CREATE_IN_PROGRESS", "busy"],
  ["ROLLBACK_IN_PROGRESS", "busy"],
  ["UPDATE_IN_PROGRESS", "busy"],
  ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "busy"],
  ["UPDATE_ROLLBACK_IN_PROGRESS", "busy"],
  ["DELETE_IN_PROGRESS", "busy"],
  ["IMPORT_IN_PROGRESS", "busy"],
  ["UPDATE_ROLLBACK_FAILED", "stuck"],
  ["DELETE_FAILED", "stuck"],
  ["CREATE_COMPLETE", "ready"],
  ["UPDATE_COMPLETE", "ready"],
  ["UPDATE_ROLLBACK_COMPLETE", "ready"],
  ["IMPORT_COMPLETE", "ready"],
];

describe("stackState", () => {
  it.each(cases)("classifies %s as %s", (status, state) => {
    expect(stackState(status)).toBe(state);
  });
});
