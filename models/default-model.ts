import path from 'node:path';
import { readModelFile } from './artifact';

/**
 * The committed default model, trained by `leadflow model train-default`. Found next to the
 * sources (models/) or, from the build (dist/models/), in the project's models/ folder.
 */
export function defaultModelFile(): string {
  const here = __dirname;
  const folder = here.endsWith(`${path.sep}dist${path.sep}models`)
    ? path.resolve(here, '..', '..', 'models')
    : here;
  return path.join(folder, 'default-model.json');
}

export const loadDefaultModel = () => readModelFile(defaultModelFile());
