import { Catalog } from './catalog';
import type { TopicSpec } from './spec';

/**
 * The platform's topics, in flow order. Each stage's issue adds its topics here; internal topics
 * (changelogs, dead letters) are derived from the processors by `Catalog.withProcessors`.
 */
export const platformTopics: TopicSpec[] = [];

export const platformCatalog = () => new Catalog(platformTopics);
