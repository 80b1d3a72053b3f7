import { describe, expect, it } from "vitest";
import { normalisePhone, phoneProblem } from "../phone";

describe("phone numbers", () => {
  it("accepts E.164 numbers typed with separators", () => {
    expect(normalisePhone(" +1 (415) 555-0123 ")).toBe("+14155550123");
    expect(phoneProblem("+1 (415) 555-0123")).toBeNull();
    expect(phoneProblem("+442071838750")).toBeNull();
  });

  it("explains each way a number can be wrong", () => {
    expect(phoneProblem("")).toMatch(/enter a phone number/i);
    expect(phoneProblem("4155550123")).toMatch(/start with \+/i);
    expect(phoneProblem("+1415abc0123")).toMatch(/digits only/i);
    expect(phoneProblem("+0415550123")).toMatch(/not starting with 0/i);
    expect(phoneProblem("+12345")).toMatch(/7 to 15 digits/);
    expect(phoneProblem("+1234567890123456")).toMatch(/7 to 15 digits/);
  });
});
