// DynamoDB's number normalisation, rule by rule (Developer Guide, "Supported data types and naming
// rules" → Number: leading and trailing zeros trimmed, 38 significant digits, 1E-130 … 9.99…E+125;
// boto/boto3#2500 and #4636 show exponents coming back expanded as plain digits).
import { describe, expect, it } from "vitest";
import { dynamoNumberProblem, normalizeDynamoNumber, parseDecimal } from "../../../src/core/dynamo-number";

describe("normalizeDynamoNumber", () => {
  it.each([
    // already normal: unchanged
    ["0", "0"],
    ["7", "7"],
    ["-7", "-7"],
    ["0.5", "0.5"],
    ["-123.456", "-123.456"],
    // zero has one form
    ["-0", "0"],
    ["+0", "0"],
    ["0.000", "0"],
    ["-0.0", "0"],
    ["0e10", "0"],
    ["000", "0"],
    // trailing fractional zeros and a bare point go
    ["2.0", "2"],
    ["2.", "2"],
    ["1.500", "1.5"],
    ["-10.10", "-10.1"],
    // leading zeros go, one 0 stays before a point
    ["007", "7"],
    ["00.25", "0.25"],
    [".25", "0.25"],
    ["-.5", "-0.5"],
    // sign + goes
    ["+42", "42"],
    // exponents are expanded into plain digits
    ["1e2", "100"],
    ["1E+2", "100"],
    ["1.5E-3", "0.0015"],
    ["-2.50e1", "-25"],
    ["12345e-2", "123.45"],
    ["1.00000000000000007629769841092E+50", "100000000000000007629769841092000000000000000000000"],
    ["1E-130", `0.${"0".repeat(129)}1`],
    ["9.9999999999999999999999999999999999999E+125", `${"9".repeat(38)}${"0".repeat(88)}`],
    // 38 significant digits are kept exactly
    ["12345678901234567890123456789012345678", "12345678901234567890123456789012345678"],
    ["0.12345678901234567890123456789012345678000", "0.12345678901234567890123456789012345678"],
  ])("%s → %s", (text, expected) => {
    expect(normalizeDynamoNumber(text)).toBe(expected);
    // normalising is idempotent and keeps the value
    expect(normalizeDynamoNumber(expected)).toBe(expected);
    const a = parseDecimal(text);
    const b = parseDecimal(expected);
    expect(b).toEqual(a);
  });

  it.each([
    ["abc", "is not a number"],
    ["", "is not a number"],
    [".", "is not a number"],
    ["1e", "is not a number"],
    ["123456789012345678901234567890123456789", "39 significant digits"],
    ["1E+126", "outside DynamoDB's range"],
    ["1E-131", "outside DynamoDB's range"],
  ])("%s is refused by DynamoDB (%s) and left as it is", (text, problem) => {
    expect(dynamoNumberProblem(text)).toContain(problem);
    expect(normalizeDynamoNumber(text)).toBe(text);
  });

  it("trailing zeros of an integer are not significant digits (1e100 is one digit)", () => {
    expect(dynamoNumberProblem(`1${"0".repeat(100)}`)).toBeNull();
    expect(dynamoNumberProblem("1E+125")).toBeNull();
    expect(dynamoNumberProblem("-1E-130")).toBeNull();
  });
});
