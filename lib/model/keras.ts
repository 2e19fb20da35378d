// Keras 3 weights (model.weights.h5 inside a .keras zip, or a .weights.h5 file): each layer's variables at
// `<path>/vars/0` (kernel), `/1` (bias), with the path from config.ts. Files written by TF 2.13-2.15 use
// `_layer_checkpoint_dependencies` where Keras 3 writes `layers`; Keras's reader (H5IOStore.get) falls back to
// path.replace("layers", "_layer_checkpoint_dependencies") when the first lookup misses, and so does this.

import type { Candidate } from "./config.js";
import { formatError } from "./fail.js";
import type { H5File, JsfiveGroup } from "./hdf5.js";
import { checkShapes, type Located } from "./located.js";

export const isKeras3Weights = (h5: H5File): boolean => {
  const keys = h5.keys(h5.root);
  return keys.includes("layers") || keys.includes("_layer_checkpoint_dependencies") || keys.includes("vars");
};

function varsGroup(h5: H5File, path: string): { group: JsfiveGroup; path: string } | undefined {
  const direct = h5.group(`${path}/vars`);
  if (direct) return { group: direct, path: `${path}/vars` };
  if (h5.keys(h5.root).includes("_layer_checkpoint_dependencies")) {
    const legacy = path.replaceAll("layers", "_layer_checkpoint_dependencies");
    const group = h5.group(`${legacy}/vars`);
    if (group) return { group, path: `${legacy}/vars` };
  }
  return undefined;
}

export function locateKeras3(h5: H5File, candidates: readonly Candidate[]): Located[] {
  return candidates.map((candidate) => {
    const found = varsGroup(h5, candidate.kerasPath);
    if (!found)
      throw formatError(
        `${h5.label}: no weights for layer ${JSON.stringify(candidate.name)} at ${candidate.kerasPath}/vars (does the config match this weights file?)`,
      );
    const kernel = h5.dataset("0", found.group);
    if (!kernel) throw formatError(`${h5.label}: layer ${JSON.stringify(candidate.name)} has no kernel at ${found.path}/0`);
    const bias = candidate.useBias ? h5.dataset("1", found.group) : undefined;
    if (candidate.useBias && !bias)
      throw formatError(`${h5.label}: layer ${JSON.stringify(candidate.name)} has no bias at ${found.path}/1`);
    const dtype = candidate.quantization ?? h5.kind(kernel);
    // A quantized layer stores an integer kernel and scales: its shapes are checked only when it could be read.
    const features = candidate.quantization
      ? (h5.shape(kernel)[0] ?? 0)
      : checkShapes(h5.label, candidate, h5.shape(kernel), bias && h5.shape(bias));
    return {
      candidate,
      features,
      dtype,
      location: `${found.path}/0`,
      read: async () => ({
        kernel: h5.readFloat32(kernel, `layer ${JSON.stringify(candidate.name)}'s kernel`),
        bias: bias ? h5.readFloat32(bias, `layer ${JSON.stringify(candidate.name)}'s bias`) : null,
      }),
    };
  });
}
