import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportResponses } from '../../src/export/exportResponses.ts';
import { Store } from '../../src/store/store.ts';
import { CITIZEN_FLOW, flows, removeTempDirs, tempDbPath } from './fixture.ts';
import { citizenAnswers, citizenResult, seedBulk } from './seed.ts';

/** 100,000 answers (5,000 responses × 20) through both formats, with memory sampled while they run. */

const RESPONSES = 5_000;
const ANSWERS = RESPONSES * citizenAnswers(0).length;

/** Counts bytes and CRLFs and keeps nothing, answering asynchronously like a file or a socket. */
class Sink extends Writable {
  bytes = 0;
  lines = 0;
  tail = Buffer.alloc(0);
  constructor() {
    super({ highWaterMark: 16 * 1024 });
  }
  override _write(chunk: Buffer, _e: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.tail = Buffer.concat([this.tail, chunk]).subarray(-22);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++;
    setImmediate(callback);
  }
}

async function measured<T>(label: string, work: () => Promise<T>): Promise<T> {
  globalThis.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 5);
  const started = performance.now();
  try {
    return await work();
  } finally {
    clearInterval(sampler);
    const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
    console.log(
      `${label}: ${((performance.now() - started) / 1000).toFixed(1)} s; RSS ${mb(before.rss)} → peak ${mb(peakRss)} MB (+${mb(peakRss - before.rss)}); ` +
        `heap ${mb(before.heapUsed)} → peak ${mb(peakHeap)} MB (+${mb(peakHeap - before.heapUsed)})`,
    );
  }
}

let store: Store;
beforeAll(() => {
  store = new Store(tempDbPath(), { synchronous: 'NORMAL' });
  const flow = flows.find((f) => f.id === CITIZEN_FLOW)!;
  seedBulk(store.db, { responses: RESPONSES, flowId: CITIZEN_FLOW, result: citizenResult(flow), answersOf: citizenAnswers });
});
afterAll(() => {
  store.close();
  removeTempDirs();
});

describe(`an export of ${ANSWERS.toLocaleString('en')} answers`, () => {
  it('streams CSV: every response and every answer, one line each', async () => {
    const wide = new Sink();
    const long = new Sink();
    const counts = await measured('CSV 100k answers', () =>
      exportResponses({ store, flows, scope: {}, format: 'csv', output: wide, answersOutput: long }),
    );
    expect(counts).toMatchObject({ responses: RESPONSES, answers: ANSWERS });
    expect(wide.lines).toBe(RESPONSES + 1);
    expect(long.lines).toBe(ANSWERS + 1);
  });

  it('streams XLSX with both sheets', async () => {
    const out = new Sink();
    const counts = await measured('XLSX 100k answers', () => exportResponses({ store, flows, scope: {}, format: 'xlsx', output: out }));
    expect(counts).toMatchObject({ responses: RESPONSES, answers: ANSWERS });
    expect(out.bytes).toBeGreaterThan(1_000_000);
    // A zip's end-of-central-directory record closes the file: the workbook was finished.
    expect(out.tail.subarray(0, 4).toString('latin1')).toBe('PK\x05\x06');
  });
});
