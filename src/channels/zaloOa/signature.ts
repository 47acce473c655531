import { createHash } from 'node:crypto';
import { secretMatches } from '../../http/webhook.ts';

/**
 * X-ZEvent-Signature: "mac=" + hex SHA-256 of app_id + raw body + timestamp + OA secret key, with
 * app_id and timestamp read from the JSON body (chatwoot's production check; a plain hash over a
 * concatenation, not an HMAC). It is computed over the bytes as received: a body re-serialised by
 * any middleware no longer matches.
 */

export const SIGNATURE_HEADER = 'X-ZEvent-Signature';

export function oaSignature(p: { appId: string; rawBody: Uint8Array | string; timestamp: string; oaSecretKey: string }): string {
  const hash = createHash('sha256').update(p.appId, 'utf8');
  hash.update(typeof p.rawBody === 'string' ? Buffer.from(p.rawBody, 'utf8') : p.rawBody);
  return `mac=${hash.update(p.timestamp, 'utf8').update(p.oaSecretKey, 'utf8').digest('hex')}`;
}

export type SignatureCheck =
  | { ok: true; timestampMs: number }
  | { ok: false; reason: 'missing signature' | 'wrong app_id' | 'no timestamp' | 'stale timestamp' | 'signature mismatch' };

/** Everything a genuine event must satisfy; the caller answers 401 on any failure. */
export function checkOaSignature(p: {
  header: string | undefined;
  rawBody: Uint8Array;
  /** app_id and timestamp as found in the body (strings; numbers are converted by the caller). */
  bodyAppId: string | undefined;
  bodyTimestamp: string | undefined;
  appId: string;
  oaSecretKey: string;
  now: Date;
  toleranceMs: number;
}): SignatureCheck {
  if (!p.header) return { ok: false, reason: 'missing signature' };
  // Checked before the hash so a valid signature of another app's event is not accepted here.
  if (p.bodyAppId !== p.appId) return { ok: false, reason: 'wrong app_id' };
  if (p.bodyTimestamp === undefined || !/^\d{9,16}$/.test(p.bodyTimestamp)) return { ok: false, reason: 'no timestamp' };
  const expected = oaSignature({ appId: p.appId, rawBody: p.rawBody, timestamp: p.bodyTimestamp, oaSecretKey: p.oaSecretKey });
  // Some senders omit the prefix or upper-case the hex; the comparison itself is constant-time.
  const received = `mac=${p.header.trim().replace(/^mac=/i, '').toLowerCase()}`;
  if (!secretMatches(received, expected)) return { ok: false, reason: 'signature mismatch' };
  const raw = Number(p.bodyTimestamp);
  const timestampMs = raw < 1e12 ? raw * 1000 : raw;
  if (Math.abs(p.now.getTime() - timestampMs) > p.toleranceMs) return { ok: false, reason: 'stale timestamp' };
  return { ok: true, timestampMs };
}
