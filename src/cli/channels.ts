import type { ChannelFactory } from '../app.ts';

/** The messenger adapters the server starts when their configuration is present. */
export const channelFactories: ChannelFactory[] = [];
