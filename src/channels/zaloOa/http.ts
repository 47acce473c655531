import { ZaloOaError } from './errors.ts';

/**
 * One HTTP request with a timeout; network failures become ZaloOaError without the URL or the
 * underlying message (either may hold a token or an address), only its code.
 */
export async function fetchText(
  endpoint: string,
  url: string,
  init: { method: 'POST' | 'GET'; headers: Record<string, string>; body?: string; timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<{ status: number; text: string }> {
  const timeout = AbortSignal.timeout(init.timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  try {
    const res = await fetch(url, { method: init.method, headers: init.headers, body: init.body ?? null, signal });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    if (init.signal?.aborted) throw new ZaloOaError(endpoint, 'aborted', undefined, 'request aborted');
    if (timeout.aborted) throw new ZaloOaError(endpoint, 'timeout', undefined, 'request timed out');
    throw new ZaloOaError(endpoint, 'network', undefined, `network error (${networkCode(err)})`);
  }
}

function networkCode(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  const code = cause && typeof cause === 'object' && typeof cause.code === 'string' ? cause.code : undefined;
  return code ?? (err instanceof Error ? err.name : 'unknown');
}
