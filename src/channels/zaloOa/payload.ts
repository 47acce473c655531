import { createHash } from 'node:crypto';

/**
 * Button payloads. An `oa.query.hide` button makes the Zalo client send its payload back to the OA
 * as a text message from the person (hidden in their chat), so the payload must say which prompt
 * (scope) and which option it answers, and be recognisable among ordinary texts:
 *
 *   #q|<scope>|<choiceId>   the usual case (ids are short, and never contain "|")
 *   #qt|<token>             otherwise; token = hash of (scope, choiceId), looked up in the store
 *
 * Someone typing such a text by hand gains nothing: the engine and the reminder interceptor check
 * the scope against what was asked of that person.
 */

/** Well under Zalo's ~1000 characters for query payloads (third-party figure). */
export const MAX_PAYLOAD_CHARS = 200;

/** A scope no prompt uses: an unreadable payload becomes a "stale button". */
export const UNKNOWN_SCOPE = '?';

export type EncodedPayload = { payload: string; token?: undefined } | { payload: string; token: { token: string; scope: string; choiceId: string } };

export function encodePayload(scope: string | undefined, choiceId: string): EncodedPayload {
  const s = scope ?? '';
  const direct = `#q|${s}|${choiceId}`;
  if (!s.includes('|') && !/[\r\n]/.test(direct) && direct.length <= MAX_PAYLOAD_CHARS) return { payload: direct };
  const token = payloadToken(s, choiceId);
  return { payload: `#qt|${token}`, token: { token, scope: s, choiceId } };
}

export function payloadToken(scope: string, choiceId: string): string {
  return createHash('sha256').update(scope).update('\u0000').update(choiceId).digest('base64url').slice(0, 16);
}

/**
 * A text that is one of our payloads → its target; `undefined` for ordinary text. An unknown token
 * maps to UNKNOWN_SCOPE so the person hears "that button is old" rather than nothing.
 */
export function decodePayload(
  text: string,
  lookup: (token: string) => { scope: string; choiceId: string } | undefined,
): { scope: string | undefined; choiceId: string } | undefined {
  const t = text.trim();
  if (t.startsWith('#q|')) {
    const rest = t.slice(3);
    const bar = rest.indexOf('|');
    if (bar < 0) return { scope: UNKNOWN_SCOPE, choiceId: '' };
    const scope = rest.slice(0, bar);
    const choiceId = rest.slice(bar + 1);
    if (choiceId === '') return { scope: UNKNOWN_SCOPE, choiceId: '' };
    return { scope: scope === '' ? undefined : scope, choiceId };
  }
  if (t.startsWith('#qt|')) {
    const found = lookup(t.slice(4));
    if (!found) return { scope: UNKNOWN_SCOPE, choiceId: '' };
    return { scope: found.scope === '' ? undefined : found.scope, choiceId: found.choiceId };
  }
  return undefined;
}
