import type { ChannelFactory } from '../app.ts';
import { createTelegramChannel } from '../channels/telegram/index.ts';
import { createZaloChannel } from '../channels/zalo/index.ts';
import { createZaloOaChannel } from '../channels/zaloOa/index.ts';

/** The messenger adapters the server starts when their configuration is present. */
export const channelFactories: ChannelFactory[] = [createTelegramChannel, createZaloChannel, createZaloOaChannel];
