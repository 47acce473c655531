import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { crossCheckFlow } from './crossCheck.ts';
import { type Flow, flowSchema } from './schema.ts';

export interface FileProblem {
  file: string;
  path: string;
  message: string;
}

export interface LoadedFlows {
  flows: Flow[];
  problems: FileProblem[];
}

export class FlowLoadError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(`Invalid flows:\n${formatProblems(problems)}`);
    this.name = 'FlowLoadError';
  }
}

export function formatProblems(problems: FileProblem[]): string {
  return problems.map((p) => `  ${p.file}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n');
}

/** Parses and checks one flow file's text. Never throws: every problem is returned. */
export function parseFlowText(textContent: string, file: string): { flow?: Flow; problems: FileProblem[] } {
  const doc = parseDocument(textContent, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({
        file,
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
        message: `YAML: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  const raw: unknown = doc.toJS();
  const parsed = flowSchema.safeParse(raw);
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((issue) => ({ file, path: describePath(raw, issue.path), message: describeIssue(issue) })) };
  }
  const problems = crossCheckFlow(parsed.data).map((p) => ({ file, ...p }));
  return problems.length ? { problems } : { flow: parsed.data, problems };
}

/** Loads every *.yaml / *.yml file of a directory, then checks that flow ids are unique across files. */
export function loadFlowsFromDir(dir: string): LoadedFlows {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return { flows: [], problems: [{ file: dir, path: '', message: 'is not a directory' }] };
    names = readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch {
    return { flows: [], problems: [{ file: dir, path: '', message: 'directory not found' }] };
  }
  if (names.length === 0) return { flows: [], problems: [{ file: dir, path: '', message: 'holds no flow file (*.yaml)' }] };
  const flows: Flow[] = [];
  const problems: FileProblem[] = [];
  const owner = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    const result = parseFlowText(readFileSync(file, 'utf8'), file);
    problems.push(...result.problems);
    if (!result.flow) continue;
    const other = owner.get(result.flow.id);
    if (other) {
      problems.push({ file, path: 'id', message: `flow id "${result.flow.id}" is already used by ${basename(other)}` });
      continue;
    }
    owner.set(result.flow.id, file);
    flows.push(result.flow);
  }
  return { flows, problems };
}

/** For the server: all flows valid, or a FlowLoadError listing every problem. */
export function loadFlowsOrThrow(dir: string): Flow[] {
  const { flows, problems } = loadFlowsFromDir(dir);
  if (problems.length > 0) throw new FlowLoadError(problems);
  return flows;
}

/** "questions[3] (q4).options[1].label" — readable paths that name the ids people search for. */
function describePath(raw: unknown, path: PropertyKey[]): string {
  let node: unknown = raw;
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') {
      out += `[${key}]`;
      node = Array.isArray(node) ? node[key] : undefined;
      const nodeId = node && typeof node === 'object' && 'id' in node ? (node as { id: unknown }).id : undefined;
      if (typeof nodeId === 'string') out += ` (${nodeId})`;
    } else {
      out += out ? `.${String(key)}` : String(key);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[String(key)] : undefined;
    }
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union') return 'does not match any accepted form (check the spelling of its keys)';
  if (issue.code === 'unrecognized_keys') return `unknown key(s): ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_union_discriminator' as string) return issue.message;
  return issue.message;
}
