// tdfast: Keras TimeDistributed(Dense) as one fused pass over flattened time.

export type { Activation, CanonicalActivation } from "./activations.js";
export { ACTIVATIONS } from "./activations.js";
export type { BackendChoice, BackendsReport } from "./backends/index.js";
export { backends } from "./backends/index.js";
export type { Availability } from "./backends/types.js";
export type { DType, Float16ArrayLike, Float16Data } from "./float16.js";
export type { InspectOptions, LoadOptions, ModelFormat, ModelLayer, ModelSource } from "./model/index.js";
export { inspectModel } from "./model/lazy.js";
export type { BackendName, Device, TensorLike, TensorOptions } from "./tensor.js";
export { Tensor, tensor } from "./tensor.js";
export type { ApplyOptions, CallOptions, TimeDenseOptions, WeightsOptions } from "./time-dense.js";
export { TimeDense, timeDense, timeDenseSync } from "./time-dense.js";
