import type { Processor } from '../runtime/processor';

/** The pipeline's processors in flow order; `leadflow start` runs all of them. */
export const topology: Processor<never>[] = [];
