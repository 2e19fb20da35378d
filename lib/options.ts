// Options objects: own properties only, unknown keys refused.

import { invalidType, unknownKey } from "./errors.js";

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Rejects keys not in `allowed`: a misspelt option must not be silently ignored. */
export function checkKeys(argument: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw unknownKey(argument, key, allowed);
}

const NO_OPTIONS: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null) as Record<string, unknown>);

/**
 * An options object's own properties among `allowed`, in an object without a prototype. Inherited properties
 * are never read: a library that sets Object.prototype.bias (or .out) must not change any call.
 */
export function readOptionsObject(argument: string, value: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined) return NO_OPTIONS;
  if (!isObject(value)) throw invalidType(argument, "an object", value);
  checkKeys(argument, value, allowed);
  const fields = Object.create(null) as Record<string, unknown>;
  for (const key of allowed) if (Object.hasOwn(value, key)) fields[key] = value[key];
  return fields;
}
