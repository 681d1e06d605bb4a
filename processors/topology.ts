import type { Config } from '../config';
import type { Processor } from '../runtime/processor';
import { enrichProcessor } from './enrich/processor';
import { validateProcessor } from './validate/processor';
import { emailScreenProcessor, phoneScreenProcessor } from './validate/screen';

export type TopologySettings = Pick<
  Config,
  'LEADFLOW_DUPLICATE_WINDOW_DAYS' | 'LEADFLOW_CONSENT_MAX_AGE_DAYS'
>;

/**
 * The pipeline's processors in flow order; `leadflow start` runs all of them. Where a lead goes
 * next is the first output topic of each stage:
 *
 *   leads.raw -> validate -> leads.by-phone -> screen-phone -> leads.by-email -> screen-email
 *     -> leads.valid -> enrich -> leads.enriched          (every stage may also reject to leads.rejected)
 */
export function topology(settings: TopologySettings): Processor<never>[] {
  const screen = { duplicateWindowDays: settings.LEADFLOW_DUPLICATE_WINDOW_DAYS };
  return [
    validateProcessor({ consentMaxAgeDays: settings.LEADFLOW_CONSENT_MAX_AGE_DAYS }),
    phoneScreenProcessor(screen),
    emailScreenProcessor(screen),
    enrichProcessor(),
  ] as Processor<never>[];
}
