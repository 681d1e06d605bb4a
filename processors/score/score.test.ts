import avro from 'avsc';
import { Scorer } from '../../models/artifact';
import { loadDefaultModel } from '../../models/default-model';
import { loadSchema } from '../../schemas/avro';
import { SAMPLE_NOW } from '../../schemas/lead-samples';
import { enrichedPart } from './feedback';
import { enrichedSample } from './sample';
import { applyLlm, localView, scoreLead, tierOf } from './score';

const scorer = new Scorer(loadDefaultModel());
const scoredType = avro.Type.forSchema(loadSchema('lead-scored'), { wrapUnions: false });

describe('scoring a lead with the default model', () => {
  test('score, tier, reasons in words and the model version are on the lead, which fits its Avro schema', () => {
    const scored = scoreLead(enrichedSample(), scorer, SAMPLE_NOW + 1000);
    expect(scored.score.modelVersion).toBe(scorer.model.version);
    expect(scored.score.probability).toBeGreaterThan(0);
    expect(scored.score.probability).toBeLessThan(1);
    expect(scored.score.score).toBeGreaterThanOrEqual(0);
    expect(scored.score.score).toBeLessThanOrEqual(100);
    expect(scored.score.tier).toBe(tierOf(scored.score.score));
    expect(scored.score.reasons.length).toBeGreaterThan(0);
    for (const reason of scored.score.reasons) expect(reason.text).not.toMatch(/[=_]/);
    expect(scored.scoredAt).toBe(SAMPLE_NOW + 1000);
    expect(scoredType.isValid(scored)).toBe(true);
    expect(enrichedPart(scored)).toEqual(enrichedSample());
  });

  test('what the generator makes convert scores higher: urgency and intent move the score, with reasons saying so', () => {
    const urgent = scoreLead(
      enrichedSample((b) => (b.notes = 'Need coverage today')),
      scorer,
      SAMPLE_NOW,
    );
    const browsing = scoreLead(
      enrichedSample((b) => (b.notes = 'Just browsing, not ready to buy')),
      scorer,
      SAMPLE_NOW,
    );
    expect(urgent.score.probability).toBeGreaterThan(browsing.score.probability);
    expect(
      urgent.score.reasons.find((r) => r.direction === 'up' && r.code === 'urgency=immediate')?.text,
    ).toBe('Needs coverage within a week');
    expect(
      browsing.score.reasons.find((r) => r.direction === 'down' && r.code === 'intent=just_browsing')?.text,
    ).toBe('Says they are just browsing');
  });

  test('tiers: A from 80, B from 50, C from 20', () => {
    expect([100, 80, 79, 50, 49, 20, 19, 0].map(tierOf)).toEqual(['A', 'A', 'B', 'B', 'C', 'C', 'D', 'D']);
  });
});

describe('putting the LLM answer on a scored lead', () => {
  const scored = scoreLead(enrichedSample(), scorer, SAMPLE_NOW);
  const insight = {
    used: true,
    model: 'test-model',
    cached: false,
    explanation: 'Insured driver shopping ahead of renewal.',
    extracted: { currentInsurer: 'GEICO' },
    promptTokens: 300,
    completionTokens: 80,
    costUsd: 0.0001,
    latencyMs: 420,
    error: null,
  };

  test('its classification replaces the rules, the score stays the local model', () => {
    const answer = {
      line: 'auto' as const,
      intent: 'switching' as const,
      urgency: 'soon' as const,
      explanation: insight.explanation,
      extracted: {
        currentInsurer: 'GEICO',
        policyExpiry: null,
        desiredStartDate: null,
        vehiclesMentioned: null,
        householdSize: null,
        preferredContactTime: null,
        language: null,
      },
    };
    const withLlm = applyLlm(scored, { insight, answer });
    expect(withLlm.classification).toMatchObject({ intent: 'switching', urgency: 'soon', source: 'llm' });
    expect(withLlm.classification.signals).toContain('llm: intent switching (rules said renewal)');
    expect(withLlm.score).toEqual(scored.score);
    expect(withLlm.llm?.explanation).toBe(insight.explanation);
    expect(scoredType.isValid(withLlm)).toBe(true);
  });

  test('a failed call keeps the local result and says why in a warning', () => {
    const failed = applyLlm(scored, {
      insight: { ...insight, used: false, explanation: null, extracted: {}, error: 'timeout' },
      answer: null,
    });
    expect(failed.classification).toEqual(scored.classification);
    expect(failed.warnings.at(-1)).toMatchObject({ code: 'llm_unavailable' });
    expect(failed.warnings.at(-1)?.message).toContain('timeout');
    expect(scoredType.isValid(failed)).toBe(true);
  });

  test('the LLM is told the local conclusion in words', () => {
    const view = localView(scored);
    expect(view).toMatchObject({ line: 'auto', intent: 'renewal', score: scored.score.score });
    expect(view.reasons[0]).toMatch(/^[+-] /);
  });
});
