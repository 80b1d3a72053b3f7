/** E.164 phone numbers: what the dialer accepts before it asks the API to place a call. */

/** `+`, a country code not starting with 0, 7 to 15 digits in all (ITU-T E.164 allows at most 15). */
const E164 = /^\+[1-9]\d{6,14}$/;

/** Drop the separators people type (spaces, dashes, dots, parentheses); keep everything else as typed. */
export function normalisePhone(input: string): string {
  return input.trim().replace(/[\s\-.()]/g, "");
}

/** Why `input` is not a dialable E.164 number, or `null` when it is. */
export function phoneProblem(input: string): string | null {
  const number = normalisePhone(input);
  if (number === "") return "Enter a phone number.";
  if (!number.startsWith("+")) return "Start with + and the country code, for example +14155550123.";
  if (!/^\+\d+$/.test(number)) return "Use digits only after the +.";
  if (!E164.test(number)) return "An E.164 number has 7 to 15 digits after the +, not starting with 0.";
  return null;
}
