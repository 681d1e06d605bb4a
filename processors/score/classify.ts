/**
 * Insurance line, intent and urgency of a lead from its details, dates and free-text notes, by
 * rules: no network, the same answer on every replay. Each conclusion carries the signal that led
 * to it, so an agent (or a test) can see why.
 */
import { DAY_MS, parseDateOnly, utcDate } from '../common/dates';
import type { EnrichedLead, InsuranceLine, Lead } from '../../schemas/lead';
import type { Classification, Intent, Urgency } from '../../schemas/score-records';

const SOON_DAYS = 45;
const IMMEDIATE_DAYS = 7;

const LINE_WORDS: [InsuranceLine, RegExp][] = [
  ['medicare', /\b(medicare|turning 65|part [abd]|medigap|medicare advantage)\b/],
  [
    'commercial',
    /\b(my business|small business|llc|inc\.?|employees|general liability|workers'? comp|commercial)\b/,
  ],
  ['life', /\b(life insurance|term life|whole life|final expense|burial|beneficiar(y|ies))\b/],
  ['renters', /\b(renters?|apartment|my landlord|lease (on|for) (an|my) apartment)\b/],
  ['home', /\b(homeowners?|house|home insurance|closing on|mortgage|lender|binder)\b/],
  ['auto', /\b(car|auto|vehicle|truck|drive|driver|off the lot|dealership|license plate)\b/],
  ['health', /\b(health (insurance|plan)|aca|obamacare|marketplace plan|deductible|doctor)\b/],
];

/** Which lines the structured details point to. */
function linesFromDetails(lead: Lead, age: number | null): InsuranceLine[] {
  const lines: InsuranceLine[] = [];
  if (lead.auto && (lead.auto.vehicles.length > 0 || lead.auto.drivers.length > 0)) lines.push('auto');
  if (lead.property) {
    const renting = lead.property.ownership === 'rent' || lead.property.type === 'apartment';
    lines.push(renting ? 'renters' : 'home');
  }
  if (lead.life) lines.push('life');
  if (lead.health) lines.push(age !== null && age >= 65 ? 'medicare' : 'health');
  if (lead.commercial) lines.push('commercial');
  return lines;
}

export function classifyLine(
  lead: Lead,
  age: number | null,
  notes: string,
): { line: InsuranceLine; signal: string | null } {
  const stated = lead.line;
  const fromDetails = linesFromDetails(lead, age);
  if (stated === 'health' && age !== null && age >= 65) {
    return { line: 'medicare', signal: `age ${age}: Medicare age, sent as health` };
  }
  if (stated === 'medicare' && age !== null && age < 60 && !/\b(disab|ssdi|esrd)/.test(notes)) {
    return { line: 'health', signal: `age ${age}: too young for Medicare, sent as medicare` };
  }
  if (fromDetails.length > 0 && !fromDetails.includes(stated)) {
    // The stated line has no details of its own while another line's are filled in.
    const line = fromDetails.find((l) => relatedLines(stated, l)) ?? fromDetails[0]!;
    return { line, signal: `details are for ${line}, sent as ${stated}` };
  }
  if (fromDetails.length === 0) {
    const mentioned = LINE_WORDS.filter(([, pattern]) => pattern.test(notes)).map(([line]) => line);
    if (mentioned.length === 1 && mentioned[0] !== stated && !relatedLines(stated, mentioned[0]!)) {
      return { line: mentioned[0]!, signal: `notes talk about ${mentioned[0]}, sent as ${stated}` };
    }
  }
  return { line: stated, signal: null };
}

function relatedLines(a: InsuranceLine, b: InsuranceLine): boolean {
  const family: Partial<Record<InsuranceLine, InsuranceLine[]>> = {
    home: ['renters'],
    renters: ['home'],
    health: ['medicare'],
    medicare: ['health'],
  };
  return family[a]?.includes(b) ?? false;
}

const BROWSING =
  /\b(just (looking|browsing|curious|checking)|not ready|maybe (next year|later)|no rush|only curious|curious about (prices|rates))\b/;
const RENEWAL = /\b(renew(s|al|ing)?|expir(es|ing|y|ation)|(policy|coverage) ends|ends at the end)\b/;
const SWITCHING =
  /\b(switch(ing)?|better (rate|price|deal)|rates? (went|go|going) up|price (went|go|going) up|unhappy with|cancel(l?ing)?|leave my|lower (my )?(rate|premium))\b/;
const SHOPPING =
  /\b(shopping|compare|comparing|quotes?|bundl(e|ing)|new (car|home|house)|first (car|home|policy))\b/;

export function classifyIntent(
  lead: Lead,
  notes: string,
  daysToExpiry: number | null,
): { intent: Intent; signal: string } {
  if (BROWSING.test(notes)) return { intent: 'just_browsing', signal: 'notes: just browsing' };
  if (RENEWAL.test(notes)) return { intent: 'renewal', signal: 'notes: policy renewing or ending' };
  if (SWITCHING.test(notes)) return { intent: 'switching', signal: 'notes: wants to switch' };
  if (SHOPPING.test(notes)) return { intent: 'shopping', signal: 'notes: comparing quotes' };
  const insured = lead.currentInsurance?.currentlyInsured === true;
  if (insured && daysToExpiry !== null && daysToExpiry >= 0 && daysToExpiry <= 60) {
    return { intent: 'renewal', signal: `current policy expires in ${daysToExpiry} days` };
  }
  if (insured) return { intent: 'switching', signal: 'already insured' };
  return { intent: 'shopping', signal: 'no current policy' };
}

const WORD_NUMBERS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  few: 3,
  couple: 2,
};
const UNIT_DAYS: Record<string, number> = { day: 1, week: 7, month: 30, year: 365 };

/** Days until something the notes say is due ("in 3 weeks", "next month", "today"), or null. */
export function daysMentioned(notes: string): { days: number; phrase: string } | null {
  const immediate =
    /\b(today|tonight|asap|a\.s\.a\.p|right away|immediately|urgent(ly)?|right now|tomorrow|this week|lapsed|no insurance now|off the lot|binder)\b/.exec(
      notes,
    );
  if (immediate) return { days: 0, phrase: immediate[0] };
  const weekday = /\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/.exec(notes);
  if (weekday) return { days: 5, phrase: weekday[0] };
  const relative =
    /\b(?:in|within|next)\s+(?:the\s+)?(?:next\s+)?(\d+|an?|one|two|three|four|five|six|(?:a\s+)?few|(?:a\s+)?couple)?\s*(?:of\s+)?(day|week|month|year)s?\b/.exec(
      notes,
    );
  if (relative) {
    const word = relative[1]?.replace(/^a\s+/, '');
    const count = word === undefined ? 1 : (WORD_NUMBERS[word] ?? Number(word));
    return { days: count * UNIT_DAYS[relative[2]!]!, phrase: relative[0] };
  }
  const monthEnd = /\b(end of (the|this) month|this month)\b/.exec(notes);
  if (monthEnd) return { days: 20, phrase: monthEnd[0] };
  const later = /\b(next year|no rush|not ready|maybe later|someday)\b/.exec(notes);
  if (later) return { days: 365, phrase: later[0] };
  return null;
}

/** Calendar days from the (UTC) day of `now` to a YYYY-MM-DD date. */
function daysUntil(date: string | null, now: number): number | null {
  if (date === null) return null;
  const parsed = parseDateOnly(date);
  if (!parsed) return null;
  const today = utcDate(now);
  return Math.round(
    (Date.UTC(parsed.year, parsed.month - 1, parsed.day) - Date.UTC(today.year, today.month - 1, today.day)) /
      DAY_MS,
  );
}

function urgencyOf(days: number): Urgency {
  if (days <= IMMEDIATE_DAYS) return 'immediate';
  if (days <= SOON_DAYS) return 'soon';
  return 'later';
}

export function classifyUrgency(
  lead: Lead,
  notes: string,
  now: number,
): { urgency: Urgency; signal: string | null; daysToExpiry: number | null } {
  const daysToExpiry = daysUntil(lead.currentInsurance?.policyExpiry ?? null, now);
  const daysToStart = daysUntil(lead.coverage?.startDate ?? null, now);
  const candidates: { days: number; signal: string }[] = [];
  const said = daysMentioned(notes);
  if (said) candidates.push({ days: said.days, signal: `notes: "${said.phrase}"` });
  if (daysToExpiry !== null) {
    candidates.push({
      days: Math.max(0, daysToExpiry),
      signal:
        daysToExpiry < 0 ? 'current policy has expired' : `current policy expires in ${daysToExpiry} days`,
    });
  }
  if (daysToStart !== null) {
    candidates.push({
      days: Math.max(0, daysToStart),
      signal: `wants coverage from ${lead.coverage!.startDate}`,
    });
  }
  if (candidates.length === 0) return { urgency: 'unknown', signal: null, daysToExpiry };
  // The most pressing date decides: a policy ending next week matters even if the notes say "no rush".
  const first = candidates.reduce((a, b) => (b.days < a.days ? b : a));
  return { urgency: urgencyOf(first.days), signal: first.signal, daysToExpiry };
}

/** Line, intent and urgency by rules. Dates count from the lead's receive time, so replays agree. */
export function classifyLead(enriched: EnrichedLead): Classification {
  const lead = enriched.lead;
  const notes = (lead.notes ?? '').toLowerCase();
  const line = classifyLine(lead, enriched.age, notes);
  const urgency = classifyUrgency(lead, notes, enriched.receivedAt);
  const intent = classifyIntent(lead, notes, urgency.daysToExpiry);
  return {
    line: line.line,
    statedLine: lead.line,
    intent: intent.intent,
    urgency: urgency.urgency,
    source: 'rules',
    signals: [...new Set([line.signal, intent.signal, urgency.signal])].filter(
      (s): s is string => s !== null,
    ),
  };
}
