import type { WebhookRoute } from '../http/webhook.ts';
import type { ChannelTransport } from '../outbox/sender.ts';

/**
 * What a messenger adapter gives the server: a transport for the outbox sender, its webhook
 * routes, and a start/stop for registration or long polling. Adapters verify, parse and normalise
 * inbound events, hand them to the ConversationService, and render outbox payloads outbound.
 */
export interface Channel {
  readonly name: string;
  readonly transport: ChannelTransport;
  /** Its webhooks (POST), served by the Node server directly and mounted on the Hono app. */
  webhooks(): WebhookRoute[];
  /** Registers the webhook (when PUBLIC_URL is set) or starts long polling. */
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): Record<string, unknown>;
}
