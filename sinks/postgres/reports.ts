import type { DayRange } from './analytics';
import { buyersReport } from './buyers-report';
import type { Queryable } from './database';
import {
  agentRanking,
  conversionBy,
  dropOffByStage,
  funnel,
  rejectionsByReason,
  scoreAccuracy,
} from './read-models';
import { figureRows, rewardFigures } from './rewards-figures';
import { scorecard } from './scorecard';

/** The analytics reports over the read models, by name: what `leadflow report` and /v1/analytics serve. */
export const REPORTS: Record<string, (db: Queryable, range: DayRange) => Promise<object[]>> = {
  funnel: (db, range) => funnel(db, range),
  dropoff: (db, range) => dropOffByStage(db, range),
  'by-vendor': (db, range) => conversionBy(db, 'vendor', range),
  'by-line': (db, range) => conversionBy(db, 'line', range),
  rejections: (db, range) => rejectionsByReason(db, range),
  scorecard: (db, range) => scorecard(db, 'vendor', range),
  'scorecard-campaigns': (db, range) => scorecard(db, 'campaign', range),
  // By the day leads were bought (ping-post); no range: the last 30 days.
  buyers: (db, range) => buyersReport(db, range),
  // All time: agents, outcomes and the rewards ledger are not counted by the day a lead was received.
  agents: (db) => agentRanking(db),
  accuracy: (db) => scoreAccuracy(db),
  rewards: async (db) => figureRows(await rewardFigures(db)),
};

export const REPORT_NAMES = Object.keys(REPORTS);
