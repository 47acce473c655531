import { GrammyError, HttpError } from 'grammy';
import type { SendOutcome } from '../../outbox/sender.ts';

/**
 * Telegram errors → outbox outcomes, and error descriptions that are safe to log and store.
 * grammY's own messages never contain the token, but the network error it wraps may (node-fetch
 * puts the URL in its message), so only its code or name is kept.
 */

/** 400 descriptions meaning the chat can never be written to again. */
const UNREACHABLE =
  /chat not found|user is deactivated|bot was blocked|bot was kicked|user not found|PEER_ID_INVALID|have no rights to send|CHAT_WRITE_FORBIDDEN|bot can't initiate conversation|group chat was (?:deactivated|upgraded)/i;

export function describeTelegramError(err: unknown, token?: string): string {
  let text: string;
  if (err instanceof GrammyError) {
    text = `${err.method}: ${err.error_code} ${err.description}`;
  } else if (err instanceof HttpError) {
    const inner = err.error as { code?: unknown; name?: unknown } | undefined;
    const why = typeof inner?.code === 'string' ? inner.code : typeof inner?.name === 'string' ? inner.name : 'error';
    text = `${err.message.replace(/ failed!.*$/, ' failed')} (${why})`;
  } else if (err instanceof Error) {
    // The message may quote personal data (a constraint on an answer); the name and code may not.
    const code = (err as { code?: unknown }).code;
    text = `unexpected ${err.name}${typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : ''}`;
  } else {
    text = 'unexpected error';
  }
  text = text.slice(0, 300);
  return token ? text.split(token).join('[token]') : text;
}

export function isGrammyError(err: unknown, code?: number): err is GrammyError {
  return err instanceof GrammyError && (code === undefined || err.error_code === code);
}

/** retry_after of a 429, in milliseconds (at least one second). */
export function retryAfterMs(err: GrammyError): number {
  const s = err.parameters.retry_after;
  return typeof s === 'number' && s > 0 ? s * 1000 : 1000;
}

/**
 * 429 → retry after retry_after; 5xx, network errors, timeouts → retry with the outbox's backoff;
 * 401/404 (a wrong or revoked token: not this message's fault) → retry, so nothing is lost while an
 * operator fixes it; 403 and "chat not found"-like 400s → the chat is unreachable; other 4xx → failed.
 */
export function sendOutcomeOf(err: unknown, token?: string): SendOutcome {
  const error = describeTelegramError(err, token);
  if (err instanceof GrammyError) {
    const code = err.error_code;
    if (code === 429) return { kind: 'retry', afterMs: retryAfterMs(err), error };
    if (code >= 500 || code === 401 || code === 404) return { kind: 'retry', error };
    if (code === 403 || UNREACHABLE.test(err.description)) return { kind: 'failed', error, unreachable: true };
    return { kind: 'failed', error };
  }
  return { kind: 'retry', error };
}
