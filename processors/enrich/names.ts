/**
 * Person-name normalisation: NFC, trimmed, whitespace collapsed, and each word typed in one case
 * capitalised (JOHN O'BRIEN -> John O'Brien, mary-kate mcdonald -> Mary-Kate McDonald, particles
 * such as "de la" lower case after the first word). A word already in mixed case is kept as its
 * owner wrote it (DeShawn, McKenzie), which also makes the result idempotent.
 */

/** Particles kept lower case when they are not the first word ("Maria de la Cruz"). */
const PARTICLES = new Set([
  'da',
  'de',
  'del',
  'della',
  'der',
  'di',
  'du',
  'la',
  'le',
  'van',
  'von',
  'den',
  'ter',
  'bin',
  'ibn',
]);
const ROMAN = /^(?:ii|iii|iv|vi|vii|viii)$/i;
const SUFFIXES = new Map([
  ['jr', 'Jr'],
  ['jr.', 'Jr.'],
  ['sr', 'Sr'],
  ['sr.', 'Sr.'],
]);
/** "Mac" is a prefix only in these (Mack, Macy and Machado are not Mac-names). */
const MAC_NAMES = new Set([
  'macarthur',
  'macdonald',
  'macdougall',
  'macintosh',
  'mackenzie',
  'maclean',
  'macleod',
  'macmillan',
  'macneil',
  'macpherson',
]);

export function collapseWhitespace(text: string): string {
  return text.replace(/[\s\u200b\u2060\ufeff]+/gu, ' ').trim();
}

/** Upper-cases one character only when that keeps it one character (ß stays ß, not SS). */
function upperChar(char: string): string {
  const upper = char.toUpperCase();
  return [...upper].length === 1 ? upper : char;
}

function lowerWord(word: string): string {
  return [...word]
    .map((char) => {
      const lower = char.toLowerCase();
      return [...lower].length === 1 ? lower : char;
    })
    .join('');
}

function capitalise(word: string): string {
  const chars = [...lowerWord(word)];
  // Only a leading letter is capitalised: "3rd" stays "3rd".
  if (chars.length === 0 || !/\p{L}/u.test(chars[0]!)) return chars.join('');
  chars[0] = upperChar(chars[0]!);
  const lower = chars.join('');
  if (/^mc\p{L}{2,}/u.test(word.toLowerCase())) return `Mc${capitalise(lower.slice(2))}`;
  if (MAC_NAMES.has(word.toLowerCase())) return `Mac${capitalise(lower.slice(3))}`;
  return lower;
}

/** Capitalises each part of a word split at hyphens and apostrophes: o'brien-smith -> O'Brien-Smith. */
function capitaliseCompound(word: string): string {
  return word
    .split(/([-'’])/u)
    .map((part, index, parts) => {
      if (part === '-' || part === "'" || part === '’') return part;
      // d'Angelo, O'Brien: the part after an apostrophe is capitalised unless it is a suffix like 's.
      if (index > 0 && (parts[index - 1] === "'" || parts[index - 1] === '’') && part.length === 1)
        return lowerWord(part);
      return capitalise(part);
    })
    .join('');
}

function hasCase(char: string): boolean {
  return char.toLowerCase() !== char.toUpperCase();
}

/** A word typed in one case (JOHN, garcía); mixed-case words (DeShawn, McKenzie) are kept. */
function isSingleCase(word: string): boolean {
  const cased = [...word].filter(hasCase);
  if (cased.length === 0) return false;
  return cased.every((c) => c === c.toUpperCase()) || cased.every((c) => c === c.toLowerCase());
}

export function normalisePersonName(input: string): string {
  const words = collapseWhitespace(input.normalize('NFC')).split(' ');
  return words
    .map((word, index) => {
      if (!isSingleCase(word)) return word;
      const lower = word.toLowerCase();
      if (index > 0 && PARTICLES.has(lower)) return lower;
      if (index > 0 && ROMAN.test(word)) return word.toUpperCase();
      const suffix = SUFFIXES.get(lower);
      if (suffix) return suffix;
      return capitaliseCompound(word);
    })
    .join(' ')
    .normalize('NFC');
}
