import type { DoNotContact } from '../../processors/validate/screen';
import { type Blind, identityKey } from '../../processors/validate/identities';
import type { RecordCodec } from '../../runtime/codec';
import type { Transport } from '../../runtime/transport';
import { TOPIC } from '../../topics/platform';

/** Keys of entries written before the list was keyed by blind indexes: the identity itself. */
const PLAIN_KEY = /^(phone):(\+1\d{10})$|^(email):(.+@.+)$/;

/**
 * Moves do-not-contact entries keyed by a phone or email (written by versions before blind
 * indexes) to the key the screens now look up, the identity's blind index, and removes the old
 * key. Without it the screens would no longer find those entries. Idempotent: an entry already
 * under its blind key is left as it is.
 */
export async function blindDoNotContactList(
  transport: Transport,
  codec: RecordCodec,
  blind: Blind,
): Promise<{ moved: number }> {
  const current = new Map<string, DoNotContact>();
  for (const raw of await transport.read(TOPIC.doNotContact)) {
    const { key, value } = await codec.decode<DoNotContact | null>(raw);
    if (value === null) current.delete(key);
    else current.set(key, value);
  }
  const moved = [];
  const removed = [];
  for (const [key, entry] of current) {
    const plain = PLAIN_KEY.exec(key);
    if (!plain) continue;
    const kind = (plain[1] ?? plain[3]) as 'phone' | 'email';
    const blindKey = identityKey(kind, plain[2] ?? plain[4]!, blind);
    if (!current.has(blindKey))
      moved.push(codec.encode(TOPIC.doNotContact, blindKey, { ...entry, key: blindKey }));
    removed.push(codec.encode(TOPIC.doNotContact, key, null));
  }
  // The new keys before the tombstones: a screen in between sees an entry twice, never none.
  if (moved.length > 0) await transport.produce(moved);
  if (removed.length > 0) await transport.produce(removed);
  return { moved: moved.length };
}
