import { createHmac, randomBytes } from 'node:crypto';
import { installationSecret } from '../store/exportStore.ts';
import type { Store } from '../store/store.ts';

/**
 * Stable pseudonyms for exports: HMAC-SHA256 under a per-installation key, so the same person or the
 * same free text always maps to the same token, and nobody without the key can recompute one from a
 * guessed id or phone number (a plain hash of a Telegram id could be reversed by enumeration).
 */

const SECRET_NAME = 'export_pseudonym_key';
/** 80 bits: collisions stay negligible for millions of people while the column stays readable. */
const TOKEN_HEX_CHARS = 20;

/** EXPORT_PSEUDONYM_KEY when set; otherwise a random key generated once and kept in the database. */
export function resolvePseudonymKey(store: Store, configured: string | undefined, now = new Date()): string {
  if (configured) return configured;
  return installationSecret(store, SECRET_NAME, () => randomBytes(32).toString('base64url'), now.toISOString());
}

export interface Pseudonymiser {
  person(channel: string, externalId: string): string;
  freeText(text: string): string;
}

export function createPseudonymiser(key: string): Pseudonymiser {
  // Domain separation: a person id and a free text that happen to be equal get unrelated tokens.
  const token = (prefix: string, parts: string[]) =>
    `${prefix}${createHmac('sha256', key).update(parts.join('\u0000')).digest('hex').slice(0, TOKEN_HEX_CHARS)}`;
  return {
    person: (channel, externalId) => token('P-', ['person', channel, externalId]),
    // Case, spacing and Unicode form are folded so "Phường Ba Đình" and "phường  ba đình" still group together.
    freeText: (text) => token('T-', ['text', text.normalize('NFC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('vi')]),
  };
}
