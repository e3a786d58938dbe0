/**
 * Deterministic support-desk text for large benchmark stores, so the full-text index has a
 * realistic shape: a few hundred common support words with a Zipf-like spread, a long tail
 * of product and feature names (rare words), and a few words whose share is known, which the
 * search benchmark queries (`refund` ~2 % of cases, `invoice` ~3 %, `password reset` as a
 * phrase ~1 %, one rare product name per ~50,000 cases).
 */

/** mulberry32: a small, fast, seeded PRNG (same text for the same seed on every machine). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const COMMON = `account access app application page screen error message button link email address phone number order delivery shipment package
tracking payment card bank transfer charge subscription plan upgrade downgrade cancel renewal trial price discount coupon code receipt
statement balance credit debit tax report export import file upload download attachment document photo image video sync backup restore
settings profile name team member user admin role permission share folder project task calendar event reminder notification alert
mobile desktop browser chrome firefox safari windows mac android iphone tablet update version install crash freeze slow loading blank
missing wrong broken failed stuck duplicate expired locked blocked disabled deleted changed moved timeout network connection server
outage maintenance api integration webhook token key limit quota storage space usage data privacy security two factor verification
sign login logout session cookie cache language translation timezone date time schedule weekly monthly yearly today yesterday tomorrow
customer support agent manager company office store warehouse address shipping return exchange warranty repair replacement damaged
item product device model serial contract agreement terms policy feature request feedback question problem issue help urgent asap
thanks hello please again still cannot unable working shows says getting keeps tried since after before when while every some`
  .split(/\s+/)
  .filter(Boolean);

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ro', 'su', 'ta', 'vi', 'zu', 'pex', 'dor', 'lin', 'mar', 'tek', 'vox', 'qua', 'ber', 'nix'];

/** Rare words: product and feature names, 4,096 of them. */
const TAIL: string[] = Array.from({ length: 4096 }, (_, i) => {
  const r = random(i + 7);
  let word = '';
  for (let k = 0; k < 3; k++) word += SYLLABLES[Math.floor(r() * SYLLABLES.length)];
  return `${word}${i % 10}`;
});

/** Zipf-like: rank r drawn with weight 1/(r+10); cumulative weights for a binary search. */
const VOCABULARY = [...COMMON, ...TAIL];
const CUMULATIVE: number[] = [];
{
  let total = 0;
  for (let r = 0; r < VOCABULARY.length; r++) CUMULATIVE.push((total += 1 / (r + 10)));
  for (let r = 0; r < CUMULATIVE.length; r++) CUMULATIVE[r]! /= total;
}

function word(next: () => number): string {
  const x = next();
  let lo = 0;
  let hi = CUMULATIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CUMULATIVE[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo]!;
}

function words(next: () => number, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(word(next));
  return out.join(' ');
}

/** The word that occurs in one case of ~50,000 (the benchmark's rare query). */
export const RARE_WORD = 'zephyrlink';

/** Subject and description of case `i`. */
export function caseText(i: number): { subject: string; description: string } {
  const next = random(i * 2 + 1);
  const subjectWords = words(next, 3 + Math.floor(next() * 4));
  let subject = subjectWords.charAt(0).toUpperCase() + subjectWords.slice(1);
  let description = `${words(next, 12 + Math.floor(next() * 20))}.`;
  if (i % 50 === 7) subject = `Refund for ${subject.toLowerCase()}`;
  if (i % 33 === 5) description = `The invoice ${description}`;
  if (i % 97 === 11) description += ' The password reset link does not arrive.';
  if (i % 50_000 === 123) description += ` Our ${RARE_WORD} adapter is not detected.`;
  return { subject, description };
}

/** The body of message `k` on case `i` (a reply or a note). */
export function messageText(i: number, k: number): string {
  const next = random(i * 31 + k * 7 + 3);
  const body = words(next, 8 + Math.floor(next() * 20));
  return `${body.charAt(0).toUpperCase()}${body.slice(1)}.${i % 40 === k ? ' We have issued the refund.' : ''}`;
}

const FIRST = ['Ada', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kemal', 'Lena', 'Mateo', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tara'];
const LAST = ['Archer', 'Becker', 'Carter', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Hansen', 'Ito', 'Jensen', 'Kowalski', 'Larsen', 'Moreau', 'Novak', 'Okafor', 'Petrov', 'Rossi', 'Silva', 'Tanaka', 'Weber'];

/** Name and organization of customer `i` (400 names, one organization per 25 customers). */
export function customerProfile(i: number): { name: string; organization: string } {
  return { name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`, organization: `${TAIL[(i * 7) % TAIL.length]} ${i % 3 === 0 ? 'GmbH' : 'Ltd'}`.replace(/^./, (c) => c.toUpperCase()) };
}
