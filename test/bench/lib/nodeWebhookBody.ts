import type { Context } from 'hono';
import { readWebhook, type WebhookBody, type WebhookReadOptions } from '../../../src/http/webhook.ts';

/**
 * Reading the webhook body straight from Node's request is now what src/http/webhook.ts does; this
 * name stays for the benchmark's "Node body read" contender, which is now the same as the wired bot.
 */
export function readWebhookFromNode(c: Context, opts: WebhookReadOptions): Promise<WebhookBody> {
  return readWebhook(c, opts);
}
