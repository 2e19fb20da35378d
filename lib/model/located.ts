// What every format's reader gives for each layer it found: its size and where its weights are, read on demand.

import type { Candidate } from "./config.js";
import { sizeError } from "./fail.js";

export interface Weights {
  readonly kernel: Float32Array;
  readonly bias: Float32Array | null;
}

export interface Located {
  readonly candidate: Candidate;
  readonly features: number;
  /** The stored kernel's element type. */
  readonly dtype: string;
  /** Where the kernel is in the file. */
  readonly location: string;
  read(): Promise<Weights>;
}

/** Checks the stored shapes against the config: kernel [F, units], bias [units]. Returns F. */
export function checkShapes(
  label: string,
  candidate: Candidate,
  kernelShape: readonly number[],
  biasShape: readonly number[] | undefined,
): number {
  const name = JSON.stringify(candidate.name);
  if (kernelShape.length !== 2 || kernelShape[1] !== candidate.units || kernelShape[0]! < 1)
    throw sizeError(
      `${label}: layer ${name}: kernel of shape [${kernelShape.join(", ")}] does not match the config's [features, ${candidate.units}]`,
    );
  if (biasShape !== undefined && (biasShape.length !== 1 || biasShape[0] !== candidate.units))
    throw sizeError(
      `${label}: layer ${name}: bias of shape [${biasShape.join(", ")}] does not match the config's ${candidate.units} units`,
    );
  return kernelShape[0]!;
}
