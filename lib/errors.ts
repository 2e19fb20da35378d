// One shape for every argument error: which argument, what was expected, what was received.

export type ErrorCode = "ERR_TDFAST_INVALID_TYPE" | "ERR_TDFAST_INVALID_SIZE" | "ERR_TDFAST_INVALID_VALUE";

/** A short description of a received value for error messages: its type, and its value when that is short. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${String(value)}`;
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `an Array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) {
    const length = (value as unknown as { length?: number }).length;
    return `${value.constructor.name}${length === undefined ? "" : ` of length ${length}`}`;
  }
  const name = (value as object).constructor?.name;
  return name && name !== "Object" ? `an instance of ${name}` : "an object";
}

function withCode<E extends Error>(error: E, code: ErrorCode): E {
  Object.defineProperty(error, "code", { value: code, enumerable: true });
  return error;
}

export function invalidType(argument: string, expected: string, received: unknown): TypeError {
  return withCode(new TypeError(`${argument}: expected ${expected}, got ${describe(received)}`), "ERR_TDFAST_INVALID_TYPE");
}

export function invalidSize(argument: string, message: string): RangeError {
  return withCode(new RangeError(`${argument}: ${message}`), "ERR_TDFAST_INVALID_SIZE");
}

export function invalidValue(argument: string, expected: string, received: unknown): RangeError {
  return withCode(new RangeError(`${argument}: expected ${expected}, got ${describe(received)}`), "ERR_TDFAST_INVALID_VALUE");
}

export function unknownKey(argument: string, key: string, allowed: readonly string[]): RangeError {
  return withCode(new RangeError(`${argument}: unknown key ${JSON.stringify(key)} (expected one of ${allowed.join(", ")})`), "ERR_TDFAST_INVALID_VALUE");
}
