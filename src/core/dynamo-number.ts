/**
 * DynamoDB's number rules, for code that renders numbers read back from a table. DynamoDB stores
 * a number normalised and returns it as plain decimal text: "Leading and trailing zeroes are
 * trimmed" (Developer Guide, "Supported data types and naming rules", Number), a sign `+` and a
 * negative zero do not survive, and an exponent is expanded (a stored `1e100` comes back as `1`
 * and 100 zeros: boto/boto3#2500, `1.00000000000000007629769841092E+50` as 51 digits:
 * boto/boto3#4636). It keeps up to 38 significant digits and magnitudes from 1E-130 to below
 * 1E+126. The emulator (moto) stores the text as sent, so without this an export made against it
 * would differ from the one AWS gives for the same writes.
 */

/** A decimal number taken apart: sign, significant digits and where the point falls among them. */
export interface DecimalParts {
  negative: boolean;
  /** Significant digits, without leading or trailing zeros ("" for zero). */
  digits: string;
  /** Position of the decimal point counted from the start of `digits` (may be negative or past the end). */
  point: number;
}

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Most significant digits DynamoDB keeps. */
export const MAX_SIGNIFICANT_DIGITS = 38;
/** Decimal exponents (of the leading digit) DynamoDB accepts: 1E-130 up to 9.99…E+125. */
const MIN_EXPONENT = -130;
const MAX_EXPONENT = 125;

/**
 * Parses decimal text (optional sign, digits, optional fraction, optional exponent) into its
 * parts, exactly; null when it is not a number (no digit at all, or stray characters).
 */
export function parseDecimal(text: string): DecimalParts | null {
  const m = NUMBER.exec(text.trim());
  if (!m) return null;
  const whole = m[2] ?? "";
  const fraction = m[3] ?? "";
  if (whole === "" && fraction === "") return null;
  const all = whole + fraction;
  const lead = all.length - all.replace(/^0+/, "").length;
  const digits = all.slice(lead).replace(/0+$/, "");
  if (digits === "") return { negative: false, digits, point: 0 };
  return { negative: m[1] === "-", digits, point: whole.length + Number(m[4] ?? 0) - lead };
}

/** Already in DynamoDB's form: no sign `+`, no leading zero, no exponent, no trailing fractional zero, not `-0`. */
const NORMAL = /^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;

/**
 * Why DynamoDB would refuse this number text (null when it would store it): not a number, more
 * than 38 significant digits, or a magnitude outside 1E-130 … 9.99…E+125.
 */
export function dynamoNumberProblem(text: string): string | null {
  const parts = parseDecimal(text);
  if (!parts) return `${JSON.stringify(text)} is not a number`;
  if (parts.digits === "") return null;
  if (parts.digits.length > MAX_SIGNIFICANT_DIGITS)
    return `${JSON.stringify(text)} has ${parts.digits.length} significant digits; DynamoDB keeps at most ${MAX_SIGNIFICANT_DIGITS}`;
  const exponent = parts.point - 1;
  if (exponent < MIN_EXPONENT || exponent > MAX_EXPONENT)
    return `${JSON.stringify(text)} is outside DynamoDB's range (1E-130 to 9.99…E+125 in magnitude)`;
  return null;
}

/**
 * The text DynamoDB returns for a number written as `text`: plain decimal notation, no sign `+`,
 * no leading zeros (one `0` before a point), no trailing zeros after the point and no point
 * without a fraction, `0` for any zero (`-0`, `0.00`, `0e5`), exponents expanded (`1e2` → `100`,
 * `1.5E-3` → `0.0015`). Text DynamoDB would refuse (not a number, out of range, more than 38
 * significant digits) is returned unchanged, so a value that could never come from DynamoDB is
 * shown as stored rather than guessed at.
 */
export function normalizeDynamoNumber(text: string): string {
  if (NORMAL.test(text) && text !== "-0") return text;
  if (dynamoNumberProblem(text) !== null) return text;
  const { negative, digits, point } = parseDecimal(text) as DecimalParts;
  if (digits === "") return "0";
  let body: string;
  if (point <= 0) body = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) body = digits + "0".repeat(point - digits.length);
  else body = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${body}` : body;
}
