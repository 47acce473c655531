import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlowText } from '../../src/flow/load.ts';
import type { Flow } from '../../src/flow/schema.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

/** Loads a flow file and fails loudly if it does not validate. */
export function loadFlow(relPath: string): Flow {
  const file = join(ROOT, relPath);
  const { flow, problems } = parseFlowText(readFileSync(file, 'utf8'), file);
  if (!flow) throw new Error(`fixture ${relPath} is invalid:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
  return flow;
}
