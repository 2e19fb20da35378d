// tdfast: Keras TimeDistributed(Dense) as one fused pass over flattened time.

export { timeDense, timeDenseSync, TimeDense } from "./time-dense.js";
export type { TimeDenseOptions, CallOptions } from "./time-dense.js";
export { Tensor, tensor } from "./tensor.js";
export type { TensorLike, TensorOptions, Device, BackendName } from "./tensor.js";
export { backends } from "./backends/index.js";
export type { BackendsReport, BackendChoice } from "./backends/index.js";
export type { Availability } from "./backends/types.js";
export { ACTIVATIONS } from "./activations.js";
export type { Activation, CanonicalActivation } from "./activations.js";
