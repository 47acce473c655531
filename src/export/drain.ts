import type { Writable } from 'node:stream';

/**
 * Resolves once the stream can take more data; rejects if it fails or closes first, so an export to a
 * client that went away stops instead of waiting for a 'drain' that will never come.
 */
export function drained(stream: Writable): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.reject(outputClosed(stream));
  if (!stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const finish = (err?: Error) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => finish();
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(outputClosed(stream));
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

function outputClosed(stream: Writable): Error {
  return stream.errored ?? new Error('the export output was closed before the export finished');
}

export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
