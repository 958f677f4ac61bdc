/**
 * The `%pvw` magic lines the commands send to the notebook kernel.
 *
 * Every value that reaches a magic line is checked here, so no command can smuggle extra
 * arguments, options or Python code into the kernel.
 */
import { IPvwSettings } from './tokens';
import { DATASET_NAME_MAX_LENGTH, DATASET_NAME_PATTERN } from './wire';

/**
 * Check a dataset name.
 *
 * @param name - the candidate name
 * @returns why the name is rejected, or `null` when it is valid
 */
export function datasetNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) {
    return 'The dataset name is empty.';
  }
  if (name.length > DATASET_NAME_MAX_LENGTH) {
    return `The dataset name is longer than ${DATASET_NAME_MAX_LENGTH} characters.`;
  }
  if (!DATASET_NAME_PATTERN.test(name)) {
    return (
      `The dataset name ${JSON.stringify(name)} may only contain letters, digits, "_", "-" ` +
      'and ".", and must start with a letter or "_".'
    );
  }
  return null;
}

/**
 * Loads the `%pvw` magics in the kernel, silently and only once: a command works in any
 * notebook without a `%load_ext jupyterlab_pvw` cell first.
 */
export const LOAD_EXTENSION_CODE =
  'get_ipython().extension_manager.load_extension("jupyterlab_pvw")';

/**
 * The code a command sends: the extension loader, then the magic line.
 *
 * @param line - a `%pvw` line built by one of the functions below
 */
export function withExtension(line: string): string {
  return `${LOAD_EXTENSION_CODE}\n${line}`;
}

/**
 * `%pvw start -n N`: start N MPI engines.
 *
 * @param settings - the validated settings; only `engineCount` is used
 * @throws RangeError when `engineCount` is not an integer of at least 1
 */
export function pvwStartCode(settings: Pick<IPvwSettings, 'engineCount'>): string {
  const n = settings.engineCount;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`The engine count must be an integer of at least 1, got ${n}.`);
  }
  return `%pvw start -n ${n}`;
}

/**
 * `%pvw stop`: stop the MPI engines.
 */
export function pvwStopCode(): string {
  return '%pvw stop';
}

/**
 * `%pvw status`: report the engines, the datasets and the viewer address.
 */
export function pvwStatusCode(): string {
  return '%pvw status';
}

/**
 * `%pvw activate NAME`: show the registered dataset NAME.
 *
 * @param name - the dataset name, checked by `datasetNameProblem`
 * @throws TypeError when the name is not valid
 */
export function pvwActivateCode(name: string): string {
  const problem = datasetNameProblem(name);
  if (problem !== null) {
    throw new TypeError(problem);
  }
  return `%pvw activate ${name}`;
}

/**
 * `%pvw next [TIME]`: advance to the pending timestep, optionally labelled with its time.
 *
 * @param time - the simulation time of the new step; a finite number of at least 0
 * @throws RangeError when `time` is given but is not a finite non-negative number
 */
export function pvwNextCode(time?: number): string {
  if (time === undefined) {
    return '%pvw next';
  }
  // Negative numbers are refused: the magic's argument parser could take "-1e-8" for an option.
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
    throw new RangeError(`The time must be a finite number of at least 0, got ${String(time)}.`);
  }
  // String() never yields anything but digits, ".", "e", "+" and "-" for a finite number.
  return `%pvw next ${String(time)}`;
}
