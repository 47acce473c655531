import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { createDomain } from '../../app.ts';
import { loadFlowsOrThrow } from '../../flow/load.ts';
import { loggerOptions } from '../../log.ts';
import { Store } from '../../store/store.ts';
import { GroupCommit } from '../groupCommit.ts';
import type { FromWorker, Job, ToWorker, TurnResult, TurnWorkerData } from './protocol.ts';

/**
 * The turn worker: its own SQLite connection, the same flows and domain as the main thread, and the
 * group commit. The main thread keeps HTTP, the outbox sender and everything else, so a COMMIT's
 * fsync and the engine's CPU no longer hold up reading and answering webhooks.
 */

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
const { config, logLevel } = workerData as TurnWorkerData;

try {
  const logger = pino(loggerOptions(logLevel), { write: (line: string) => post({ type: 'log', line }) });
  const store = new Store(config.dbPath, { synchronous: config.dbSynchronous });
  const flows = loadFlowsOrThrow(config.flowsDir);
  // The outbox sender lives in the main thread: it is woken by the 'done' message.
  const { service } = createDomain({ config, store, flows, logger });
  const turns = new GroupCommit({ store, service });
  // A turn, or the outbox sender's outcomes: both join the next group commit.
  const run = (job: Job): Promise<{ status: 'processed' | 'duplicate' | 'written' }> =>
    'event' in job ? turns.handle(job.event) : turns.run(() => store.applyOutboxWrites(job.writes)).then(() => ({ status: 'written' }));
  let inFlight = 0;
  let closing = false;

  const close = () => {
    if (inFlight > 0) return;
    store.close();
    post({ type: 'closed' });
    port.close();
  };

  port.on('message', (m: ToWorker) => {
    if (m.type === 'close') {
      closing = true;
      return close();
    }
    inFlight++;
    // Every job of one message joins the same group commit (up to its batch size).
    void Promise.all(
      m.turns.map((job) =>
        run(job).then(
          (outcome): TurnResult => ({ id: job.id, status: outcome.status }),
          (err: unknown): TurnResult => ({ id: job.id, error: err instanceof Error ? err.name : 'unknown error' }),
        ),
      ),
    ).then((results) => {
      post({ type: 'done', results });
      inFlight--;
      if (closing) close();
    });
  });
  logger.debug({ flows: flows.length }, 'turn worker ready');
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
}
