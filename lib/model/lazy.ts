// The public entry points of lib/model, which load it (and jsfive, yauzl behind it) on first use only, so that
// `import "tdfast"` costs no more than before.

import type * as Model from "./index.js";

let model: typeof Model | undefined;
export function modelReader(): typeof Model {
  model ??= require("./index.js") as typeof Model;
  return model;
}

/** Every layer of the model that tdfast can run: TimeDistributed(Dense) and Dense, nested models included. */
export function inspectModel(source: Model.ModelSource, options?: Model.InspectOptions): Promise<Model.ModelLayer[]> {
  try {
    return modelReader().inspectModel(source, options);
  } catch (error) {
    return Promise.reject(error);
  }
}
