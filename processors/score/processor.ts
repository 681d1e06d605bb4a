import type { LeadEnricher } from '../../schemas/lead-insights';
import type { ModelArtifact } from '../../models/artifact';
import { defineProcessor } from '../../runtime/processor';
import type { EnrichedLead } from '../../schemas/lead';
import { TOPIC } from '../../topics/platform';
import { ModelSelector } from './model-selector';
import type { ModelRelease, ScoredLead } from '../../schemas/score-records';
import { applyLlm, localView, scoreLead } from './score';

export interface ScoreSettings {
  /** The model used until (and unless) one is published on the models topic. */
  defaultModel: ModelArtifact;
  /** The LLM path, when an endpoint is configured. */
  llm?: LeadEnricher | null;
}

/**
 * score: the local model's score, tier and reasons plus rules classification for every enriched
 * lead; with an LLM configured, its extraction, classification and explanation on top. The model
 * is the release under "current" on the compacted models topic (hot swap: the next lead uses a
 * newly published one), else the committed default; its version is stamped on each lead.
 * LLM failures never stop the line: the lead goes on with the local result and a warning.
 */
export const scoreProcessor = (settings: ScoreSettings) => {
  let selector: ModelSelector | undefined;
  return defineProcessor<EnrichedLead>({
    name: 'score',
    inputs: [TOPIC.leadsEnriched],
    outputs: [TOPIC.leadsScored],
    globals: [TOPIC.models],
    async process(record, ctx) {
      selector ??= new ModelSelector(settings.defaultModel, ctx.log);
      const scorer = selector.current(ctx.global<ModelRelease>(TOPIC.models));
      let scored: ScoredLead = scoreLead(record.value, scorer, ctx.now());
      if (settings.llm) {
        scored = applyLlm(scored, await settings.llm.enrich(record.value, localView(scored)));
      }
      ctx.emit(TOPIC.leadsScored, record.key, scored);
    },
  });
};
