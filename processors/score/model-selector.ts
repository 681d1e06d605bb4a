import type { Logger } from 'pino';
import { type ModelArtifact, parseModel, Scorer } from '../../models/artifact';
import type { ReadOnlyTable } from '../../runtime/store';
import type { ModelRelease } from '../../schemas/score-records';

export const CURRENT_MODEL_KEY = 'current';

/**
 * Which model scores the next lead: the release under "current" on the models topic when there is
 * a readable one, else the built-in default. Releases are parsed once per version. A release that
 * does not parse or whose content does not match its version is logged once and ignored: the line
 * keeps scoring with the default rather than stopping.
 */
export class ModelSelector {
  private readonly fallback: Scorer;
  private cached: { version: string; scorer: Scorer | null } | undefined;

  constructor(
    defaultModel: ModelArtifact,
    private readonly log: Logger,
  ) {
    this.fallback = new Scorer(defaultModel);
  }

  current(releases: ReadOnlyTable<ModelRelease>): Scorer {
    const release = releases.get(CURRENT_MODEL_KEY);
    if (!release) return this.fallback;
    if (this.cached?.version !== release.version) {
      this.cached = { version: release.version, scorer: this.compile(release) };
    }
    return this.cached.scorer ?? this.fallback;
  }

  private compile(release: ModelRelease): Scorer | null {
    try {
      const model = parseModel(JSON.parse(release.artifact));
      if (model.version !== release.version) {
        throw new Error(`release says ${release.version} but the artifact is ${model.version}`);
      }
      this.log.info(
        { modelVersion: model.version, publishedBy: release.publishedBy },
        'scoring model switched',
      );
      return new Scorer(model);
    } catch (error) {
      this.log.warn(
        {
          modelVersion: release.version,
          err: (error as Error).message,
          fallback: this.fallback.model.version,
        },
        'published model is unusable; scoring with the default model',
      );
      return null;
    }
  }
}
