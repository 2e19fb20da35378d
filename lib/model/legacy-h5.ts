// Legacy HDF5 (tf.keras 2's model.save("x.h5"), and Keras 3 writing that format; keras/src/legacy/saving/
// legacy_h5_format.py): the config is the root's model_config attribute; each top-level layer's weights are in
// the group model_weights/<layer name>, listed in order by its weight_names attribute (split into weight_names0,
// weight_names1, … when long), each name a dataset path inside that group. A nested model's group lists the
// weights of all its layers; a layer's are the names with its name as one path segment.

import type { Candidate } from "./config.js";
import { formatError } from "./fail.js";
import { type H5File, type JsfiveDataset, type JsfiveGroup, stringAttr, stringListAttr } from "./hdf5.js";
import { checkShapes, type Located } from "./located.js";

export function legacyConfig(h5: H5File): string | undefined {
  return stringAttr(h5.attrs(h5.root), "model_config");
}

/** The group holding the per-layer groups: model_weights in a full model file, the root in a weights-only one. */
export function legacyWeightsRoot(h5: H5File): JsfiveGroup | undefined {
  const modelWeights = h5.group("model_weights");
  if (modelWeights) return modelWeights;
  return stringListAttr(h5.attrs(h5.root), "layer_names") ? h5.root : undefined;
}

const segments = (name: string): string[] => name.split("/").map((part) => part.replace(/:\d+$/, ""));

export function locateLegacy(h5: H5File, weightsRoot: JsfiveGroup, candidates: readonly Candidate[]): Located[] {
  return candidates.map((candidate) => {
    const name = JSON.stringify(candidate.name);
    const top = candidate.namePath[0]!;
    const group = h5.keys(weightsRoot).includes(top) ? h5.group(top, weightsRoot) : undefined;
    if (!group) throw formatError(`${h5.label}: no weight group for layer ${JSON.stringify(top)}`);
    let names = stringListAttr(h5.attrs(group), "weight_names");
    if (!names) throw formatError(`${h5.label}: weight group ${JSON.stringify(top)} has no weight_names attribute`);
    if (candidate.namePath.length > 1) names = names.filter((weight) => segments(weight).includes(candidate.name));
    const datasets: { name: string; dataset: JsfiveDataset; shape: number[] }[] = [];
    for (const weight of names) {
      const dataset = h5.dataset(weight, group);
      if (!dataset) throw formatError(`${h5.label}: weight ${JSON.stringify(weight)} of layer ${name} is listed but missing`);
      datasets.push({ name: weight, dataset, shape: h5.shape(dataset) });
    }
    // In the order written (trainable weights: kernel, then bias): the first 2-D one, then the next 1-D one.
    const kernelIndex = datasets.findIndex((d) => d.shape.length === 2);
    if (kernelIndex < 0) throw formatError(`${h5.label}: layer ${name} has no 2-D kernel among ${JSON.stringify(names)}`);
    const kernel = datasets[kernelIndex]!;
    const bias = candidate.useBias ? datasets.slice(kernelIndex + 1).find((d) => d.shape.length === 1) : undefined;
    if (candidate.useBias && !bias)
      throw formatError(`${h5.label}: layer ${name} has no bias after its kernel ${JSON.stringify(kernel.name)}`);
    const features = candidate.quantization ? (kernel.shape[0] ?? 0) : checkShapes(h5.label, candidate, kernel.shape, bias?.shape);
    return {
      candidate,
      features,
      dtype: candidate.quantization ?? h5.kind(kernel.dataset),
      location: `${group.name}/${kernel.name}`.replace(/^\/+/, ""),
      read: async () => ({
        kernel: h5.readFloat32(kernel.dataset, `layer ${name}'s kernel`),
        bias: bias ? h5.readFloat32(bias.dataset, `layer ${name}'s bias`) : null,
      }),
    };
  });
}
