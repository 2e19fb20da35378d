// Keras 3 activation names, and the ids the native and CUDA kernels know them by (native/shared/activation.h).

export const ACTIVATIONS = [
  "linear",
  "sigmoid",
  "hard_sigmoid",
  "tanh",
  "relu",
  "relu6",
  "leaky_relu",
  "elu",
  "selu",
  "gelu",
  "silu",
  "softplus",
  "softsign",
  "exponential",
  "mish",
  "softmax",
  "log_softmax",
] as const;

export type CanonicalActivation = (typeof ACTIVATIONS)[number];
/** Every name `activation` accepts: the Keras 3 names, and `swish` for `silu` as in Keras. */
export type Activation = CanonicalActivation | "swish";

const ALIASES: Readonly<Record<string, CanonicalActivation>> = { swish: "silu" };
const IDS: ReadonlyMap<string, number> = new Map(ACTIVATIONS.map((name, id) => [name, id]));

/** The canonical name and native id of an activation name, or undefined if it is not one. */
export function lookupActivation(name: string): { name: CanonicalActivation; id: number } | undefined {
  const canonical = (ALIASES[name] ?? name) as CanonicalActivation;
  const id = IDS.get(canonical);
  return id === undefined ? undefined : { name: canonical, id };
}
