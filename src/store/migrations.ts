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
  // 2: Telegram: inline keyboards still on screen (removed once answered), and long callback data.
  `
  CREATE TABLE telegram_keyboards (
    chat_id TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, message_id)
  ) WITHOUT ROWID;

  CREATE TABLE telegram_callbacks (
    token TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    choice_id TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 3: administrative units, reporting units, focal points and their invites; unit submissions.
  `
  CREATE TABLE admin_units (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('province', 'commune')),
    parent_code TEXT,
    effective_from TEXT NOT NULL,
    effective_to TEXT,
    legacy_district TEXT
  );

  CREATE TABLE units (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    tier TEXT NOT NULL CHECK (tier IN ('commune', 'province')),
    commune_code TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX units_commune ON units(commune_code);

  CREATE TABLE focal_points (
    id INTEGER PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES units(id),
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL,
    left_at TEXT
  );
  CREATE INDEX focal_points_unit ON focal_points(unit_id, left_at);
  CREATE UNIQUE INDEX focal_points_active ON focal_points(person_id) WHERE left_at IS NULL;

  CREATE TABLE invites (
    code_hash TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES units(id),
    role TEXT NOT NULL DEFAULT 'focal_point',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by INTEGER REFERENCES people(id) ON DELETE SET NULL
  );

  CREATE TABLE registration_failures (
    who TEXT NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX registration_failures_who ON registration_failures(who, at);

  ALTER TABLE responses ADD COLUMN unit_id TEXT REFERENCES units(id);
  ALTER TABLE responses ADD COLUMN replaced_at TEXT;
  CREATE INDEX responses_unit ON responses(unit_id, flow_id, period, status);
  `,
  // 4: the secretariat's web dashboard: accounts, sessions, login failures, reviews of unit submissions,
  // broadcasts; secretariat members in chat (daily overdue digest) and their invites.
  `
  CREATE TABLE admin_accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('province', 'commune')),
    commune_code TEXT,
    created_at TEXT NOT NULL,
    disabled_at TEXT,
    CHECK ((role = 'commune') = (commune_code IS NOT NULL))
  );

  CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES admin_accounts(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX admin_sessions_expiry ON admin_sessions(expires_at);

  CREATE TABLE admin_login_failures (
    key TEXT NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX admin_login_failures_key ON admin_login_failures(key, at);

  CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'returned')),
    comment TEXT,
    reviewer_id INTEGER REFERENCES admin_accounts(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX reviews_response ON reviews(response_id, id);

  CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    nonce TEXT NOT NULL UNIQUE,
    account_id INTEGER REFERENCES admin_accounts(id) ON DELETE SET NULL,
    text TEXT NOT NULL,
    unit_count INTEGER NOT NULL,
    recipient_count INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE secretariat_invites (
    code_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by INTEGER REFERENCES people(id) ON DELETE SET NULL
  ) WITHOUT ROWID;

  CREATE TABLE secretariat_members (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL,
    left_at TEXT
  );
  CREATE UNIQUE INDEX secretariat_members_active ON secretariat_members(person_id) WHERE left_at IS NULL;
  `,
  // 5: per-installation secrets generated on first use (the export pseudonym key when
  // EXPORT_PSEUDONYM_KEY is not set), so a pseudonym stays stable across exports of one installation.
  `
  CREATE TABLE installation_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 6: deadline reminders: each reminder queued or skipped under a unique key (deadline, period,
  // unit, person, step), "đã nộp" acknowledgements (who and when) and per-person snoozes.
  `
  CREATE TABLE reminder_log (
    id INTEGER PRIMARY KEY,
    reminder_key TEXT NOT NULL UNIQUE,
    deadline_id TEXT NOT NULL,
    period TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'skipped')),
    choices TEXT NOT NULL DEFAULT '',
    planned_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    reason TEXT
  );
  CREATE INDEX reminder_log_occurrence ON reminder_log(deadline_id, period, unit_id);
  CREATE INDEX reminder_log_person ON reminder_log(person_id, status, id);

  CREATE TABLE reminder_acks (
    deadline_id TEXT NOT NULL,
    period TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    channel TEXT NOT NULL,
    acked_at TEXT NOT NULL,
    PRIMARY KEY (deadline_id, period, unit_id)
  ) WITHOUT ROWID;

  CREATE TABLE reminder_snoozes (
    deadline_id TEXT NOT NULL,
    period TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    until TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (deadline_id, period, unit_id, person_id)
  ) WITHOUT ROWID;
  `,
  // 7: Zalo Official Account: OAuth tokens (rotating refresh token), pending PKCE authorisations, long
  // button payloads; reminders that could not reach a person (the secretariat's list); one human's
  // identities on several channels linked by a one-time code, and the channel they chose for reminders.
  `
  CREATE TABLE zalo_oa_tokens (
    app_id TEXT PRIMARY KEY,
    access_token TEXT NOT NULL,
    access_expires_at TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    refresh_expires_at TEXT,
    updated_at TEXT NOT NULL,
    dead_at TEXT,
    dead_reason TEXT
  ) WITHOUT ROWID;

  CREATE TABLE zalo_oa_pkce (
    state TEXT PRIMARY KEY,
    code_verifier TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE zalo_oa_payloads (
    token TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    choice_id TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE reminder_unreachable (
    id INTEGER PRIMARY KEY,
    reminder_key TEXT NOT NULL UNIQUE,
    deadline_id TEXT NOT NULL,
    period TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    step TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX reminder_unreachable_unit ON reminder_unreachable(unit_id, deadline_id, period);

  CREATE TABLE person_links (
    person_id INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL,
    linked_at TEXT NOT NULL
  );
  CREATE INDEX person_links_group ON person_links(group_id);

  CREATE TABLE link_preferences (
    group_id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    chosen_at TEXT NOT NULL
  );

  CREATE TABLE link_codes (
    code_hash TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
  ) WITHOUT ROWID;
  `,
  // 8: the commune a response is about: the citizen's commune (answered by name) or the unit's commune.
  `
  ALTER TABLE responses ADD COLUMN commune_code TEXT;
  CREATE INDEX responses_commune ON responses(commune_code, flow_id, period);
  `,
  // 9: the outbox's indexes cost a turn more than anything else it writes. Dedupe keys (reminders,
  // digests) get a partial unique index instead of a UNIQUE column, whose index held a NULL entry for
  // every reply; the due index covers pending messages only (failed ones, for health, get their
  // own). SQLite cannot drop a column constraint, so the table is rebuilt.
  `
  CREATE TABLE outbox_v9 (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    person_id INTEGER,
    kind TEXT NOT NULL DEFAULT 'reply',
    payload TEXT NOT NULL,
    dedupe_key TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    sent_at TEXT,
    last_error TEXT
  );
  INSERT INTO outbox_v9 SELECT id, channel, chat_id, person_id, kind, payload, dedupe_key, status, attempts, created_at, next_attempt_at, sent_at, last_error FROM outbox;
  DROP TABLE outbox;
  ALTER TABLE outbox_v9 RENAME TO outbox;
  CREATE UNIQUE INDEX outbox_dedupe ON outbox(dedupe_key) WHERE dedupe_key IS NOT NULL;
  CREATE INDEX outbox_due ON outbox(channel, next_attempt_at) WHERE status = 'pending';
  CREATE INDEX outbox_failed ON outbox(channel, next_attempt_at) WHERE status = 'failed';
  CREATE INDEX outbox_chat ON outbox(channel, chat_id, status, id);
  `,
  // 10: per-chat order only asks for a chat's pending messages, yet outbox_chat held every message
  // ever sent, and each send moved its entry. Pending ones now get an index of their own, which
  // stays a few pages small; the web chat's transcript keeps an index over its own channel.
  `
  DROP INDEX outbox_chat;
  CREATE INDEX outbox_pending_chat ON outbox(channel, chat_id, id) WHERE status = 'pending';
  CREATE INDEX outbox_web_chat ON outbox(chat_id, id) WHERE channel = 'web';
  `,
];
