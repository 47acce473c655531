/**
 * Numbered migrations; PRAGMA user_version holds the number applied. Append only: a released
 * migration is never edited, a change is a new entry.
 */
export const MIGRATIONS: string[] = [
  // 1: people, consent, conversations, responses and answers, inbox and outbox.
  `
  CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_inbound_at TEXT,
    unreachable_at TEXT,
    unreachable_reason TEXT,
    UNIQUE (channel, external_id)
  );

  CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    text_version TEXT NOT NULL,
    given_at TEXT NOT NULL,
    withdrawn_at TEXT
  );
  CREATE INDEX consents_person ON consents(person_id);

  CREATE TABLE sessions (
    person_id INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );

  CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    flow_version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'submitted', 'cancelled')),
    period TEXT,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    passed INTEGER,
    score REAL,
    level TEXT,
    result TEXT
  );
  CREATE INDEX responses_person_flow ON responses(person_id, flow_id, status);
  CREATE INDEX responses_flow_period ON responses(flow_id, period, status);

  CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    flow_id TEXT NOT NULL,
    flow_version TEXT NOT NULL,
    question_id TEXT NOT NULL,
    question_text TEXT NOT NULL,
    raw TEXT NOT NULL,
    value TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    superseded_at TEXT
  );
  CREATE INDEX answers_response ON answers(response_id, question_id);

  CREATE TABLE inbox (
    channel TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (channel, event_id)
  ) WITHOUT ROWID;

  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    person_id INTEGER,
    kind TEXT NOT NULL DEFAULT 'reply',
    payload TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    sent_at TEXT,
    last_error TEXT
  );
  CREATE INDEX outbox_due ON outbox(channel, status, next_attempt_at);
  CREATE INDEX outbox_chat ON outbox(channel, chat_id, status, id);
  `,
];
