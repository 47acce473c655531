// A worker thread does not inherit the main thread's TypeScript loader: register tsx, then load
// the worker's TypeScript entry (its URL comes in workerData, so this file stays generic).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
