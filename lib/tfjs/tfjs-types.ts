// The parts of TensorFlow.js that tdfast/tfjs touches, typed structurally. tdfast imports nothing from tfjs, not
// even its types: a user's tfjs (whichever package and copy of it they loaded) is used as it is, and tdfast's
// declarations compile whether or not tfjs's types are installed, and whatever their version.

/** A tfjs-core Tensor (or Variable), as far as tdfast uses it. */
export interface TfTensor {
  readonly shape: number[];
  readonly dtype: string;
  readonly rank: number;
  readonly size: number;
  /** An object identifying the tensor's data: a Variable gets a new one on every assign(). */
  readonly dataId: object;
  dataSync(): ArrayLike<number>;
}

/** tfjs-core's Engine: one per process, shared by every loaded copy of tfjs-core. */
export interface TfEngine {
  readonly backendName: string | null;
  makeTensor(values: Float32Array, shape: number[], dtype: "float32"): TfTensor;
  runKernel(kernelName: string, inputs: Record<string, TfTensor>, attrs?: Record<string, unknown>): TfTensor;
  tidy<T>(fn: () => T): T;
  /** True while a gradient tape records (inside tf.grad, tf.variableGrads, optimizer.minimize, model.fit). */
  isTapeOn(): boolean;
}

/** A tfjs-layers LayerVariable. */
export interface TfLayerVariable {
  read(): TfTensor;
}

/** A tfjs-layers Activation object (tf.layers.dense's `activation`). */
export interface TfActivation {
  getClassName(): string;
  apply(x: TfTensor): TfTensor;
}

/** What a tfjs-layers Layer's call() receives and returns. */
export type TfCallInputs = TfTensor | TfTensor[];
export type TfCall = (inputs: TfCallInputs, kwargs?: Record<string, unknown>) => TfTensor | TfTensor[];

/** A tfjs-layers Layer: a Dense, a TimeDistributed, or a model used as a layer. */
export interface TfLayer {
  readonly name: string;
  built: boolean;
  getClassName(): string;
  call: TfCall;
  /** Models (and Sequential) only: their own layers. */
  readonly layers?: readonly unknown[];
  /** TimeDistributed (any Wrapper): the wrapped layer. */
  readonly layer?: unknown;
  /** Dense only. */
  readonly units?: number;
  readonly kernel?: TfLayerVariable | null;
  readonly bias?: TfLayerVariable | null;
  readonly activation?: TfActivation;
}

/**
 * What accelerate() accepts: a tfjs LayersModel (tf.sequential(), tf.model(), tf.loadLayersModel()). Typed
 * structurally so that any tfjs version's LayersModel is accepted without tdfast depending on its types.
 */
export interface LayersModelLike {
  readonly layers: readonly object[];
}
