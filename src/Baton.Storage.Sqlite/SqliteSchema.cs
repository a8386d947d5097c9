using Microsoft.Data.Sqlite;

namespace Baton.Storage.Sqlite;

/// <summary>Schema migrations, applied in order and recorded in <c>PRAGMA user_version</c>.</summary>
internal static class SqliteSchema
{
    /// <summary>
    /// Every audit event's keys as (key, time, id): <c>s:</c> each secret it names, <c>p:</c> its principal, <c>w:</c>
    /// its run, <c>a:</c> its action. Migrations 5 and 6 file them; as part of their text it must not change.
    /// </summary>
    private const string AuditKeysOfEveryEvent = """
        SELECT 's:' || secret AS key, time, id FROM audit_log WHERE secret IS NOT NULL
        UNION ALL
        SELECT 's:' || json_extract(j.value, '$[0]'), e.time, e.id FROM audit_log e, json_each(e.secrets) j WHERE e.secrets IS NOT NULL
        UNION ALL
        SELECT 'p:' || principal, time, id FROM audit_log WHERE principal IS NOT NULL
        UNION ALL
        SELECT 'w:' || workflow_id, time, id FROM audit_log WHERE workflow_id IS NOT NULL
        UNION ALL
        SELECT 'a:' || action, time, id FROM audit_log
        """;

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE workflow_defs (
            name TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL,
            PRIMARY KEY (name, version)) WITHOUT ROWID;
        CREATE TABLE task_defs (name TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE workflows (
            workflow_id TEXT PRIMARY KEY,
            workflow_name TEXT NOT NULL,
            workflow_version INTEGER NOT NULL,
            status TEXT NOT NULL,
            correlation_id TEXT,
            start_time INTEGER NOT NULL,
            end_time INTEGER NOT NULL,
            json TEXT NOT NULL);
        CREATE INDEX workflows_by_status ON workflows (status, workflow_name, workflow_version);
        CREATE INDEX workflows_by_name ON workflows (workflow_name, start_time);
        CREATE INDEX workflows_by_start ON workflows (start_time);
        CREATE INDEX workflows_by_correlation ON workflows (correlation_id) WHERE correlation_id IS NOT NULL;
        CREATE TABLE tasks (
            task_id TEXT PRIMARY KEY,
            workflow_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            json TEXT NOT NULL);
        CREATE INDEX tasks_by_workflow ON tasks (workflow_id, seq);
        CREATE TABLE task_logs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            task_id TEXT NOT NULL,
            log TEXT,
            created_time INTEGER NOT NULL);
        CREATE INDEX task_logs_by_task ON task_logs (task_id, id);
        CREATE TABLE poll_data (
            queue_name TEXT NOT NULL, domain TEXT NOT NULL, json TEXT NOT NULL,
            PRIMARY KEY (queue_name, domain)) WITHOUT ROWID;
        """,
        """
        CREATE TABLE secret_keyring (id INTEGER PRIMARY KEY CHECK (id = 1), wrapped BLOB NOT NULL);
        CREATE TABLE secrets (
            name TEXT PRIMARY KEY,
            description TEXT,
            current_version INTEGER NOT NULL,
            created_by TEXT,
            created_at INTEGER NOT NULL,
            updated_by TEXT,
            updated_at INTEGER NOT NULL,
            last_used_at INTEGER,
            deleted_at INTEGER,
            deleted_by TEXT);
        CREATE INDEX secrets_by_deleted ON secrets (deleted_at) WHERE deleted_at IS NOT NULL;
        CREATE TABLE secret_versions (
            name TEXT NOT NULL REFERENCES secrets (name),
            version INTEGER NOT NULL,
            kind TEXT NOT NULL,
            ciphertext BLOB,
            created_by TEXT,
            created_at INTEGER NOT NULL,
            destroyed_at INTEGER,
            PRIMARY KEY (name, version));
        CREATE TABLE secret_tags (
            name TEXT NOT NULL REFERENCES secrets (name), key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (name, key)) WITHOUT ROWID;
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time INTEGER NOT NULL,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            secret TEXT,
            version INTEGER,
            principal TEXT,
            workflow_id TEXT,
            task_id TEXT,
            task_reference_name TEXT,
            detail TEXT);
        CREATE INDEX audit_by_time ON audit_log (time);
        CREATE INDEX audit_by_secret ON audit_log (secret, time) WHERE secret IS NOT NULL;
        CREATE INDEX audit_by_principal ON audit_log (principal, time) WHERE principal IS NOT NULL;
        CREATE INDEX audit_by_workflow ON audit_log (workflow_id, time) WHERE workflow_id IS NOT NULL;
        CREATE INDEX audit_by_action ON audit_log (action, time);
        CREATE TABLE run_secrets (
            workflow_id TEXT NOT NULL,
            secret TEXT NOT NULL,
            version INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            first_used_at INTEGER NOT NULL,
            UNIQUE (workflow_id, secret, version));
        CREATE TABLE run_secret_tasks (
            workflow_id TEXT NOT NULL,
            secret TEXT NOT NULL,
            version INTEGER NOT NULL,
            task_reference_name TEXT NOT NULL,
            UNIQUE (workflow_id, secret, version, task_reference_name));
        CREATE TABLE environment_values (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE environment_tags (
            name TEXT NOT NULL REFERENCES environment_values (name), key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (name, key)) WITHOUT ROWID;
        """,
        // 3: the access model (issue 5). Principals are small documents; grants are rows so they can be listed by either end.
        """
        CREATE TABLE access_users (id TEXT PRIMARY KEY COLLATE NOCASE, json TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE access_groups (id TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE access_applications (id TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE access_keys (
            id TEXT PRIMARY KEY, application_id TEXT NOT NULL, secret_hash BLOB NOT NULL,
            active INTEGER NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE access_grants (
            subject_type TEXT NOT NULL, subject_id TEXT NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL,
            access INTEGER NOT NULL,
            PRIMARY KEY (subject_type, subject_id, target_type, target_id)) WITHOUT ROWID;
        """,
        // 4: a hand-off's resolution is one audit row naming its secrets (`secrets`: JSON [name, version, fingerprint]
        // arrays), and the run manifest is read from those rows instead of two tables of its own (issue 4: those were
        // 15 rows per workflow on the single writer). `audit_secrets` is the by-secret index of every event naming a
        // secret. The manifest entries stored so far are carried over as one `manifest-carried-over` row per entry and
        // task, in first-use order, so the runs they belong to keep their pinned versions.
        """
        ALTER TABLE audit_log ADD COLUMN secrets TEXT;
        CREATE TABLE audit_secrets (
            secret TEXT NOT NULL, time INTEGER NOT NULL, event_id INTEGER NOT NULL,
            PRIMARY KEY (secret, time, event_id)) WITHOUT ROWID;
        INSERT INTO audit_log (time, action, outcome, workflow_id, task_reference_name, detail, secrets)
            SELECT s.first_used_at, 'manifest-carried-over', 'ok', s.workflow_id, t.task_reference_name,
                   'the run manifest entry as stored before schema 4', json_array(json_array(s.secret, s.version, s.fingerprint))
            FROM run_secrets s LEFT JOIN run_secret_tasks t
                ON t.workflow_id = s.workflow_id AND t.secret = s.secret AND t.version = s.version
            ORDER BY s.workflow_id, s.first_used_at, s.rowid, t.rowid;
        INSERT INTO audit_secrets (secret, time, event_id)
            SELECT secret, time, id FROM audit_log WHERE secret IS NOT NULL
            UNION ALL
            SELECT json_extract(secrets, '$[0][0]'), time, id FROM audit_log WHERE action = 'manifest-carried-over';
        DROP INDEX audit_by_secret;
        DROP TABLE run_secret_tasks;
        DROP TABLE run_secrets;
        """,
        // 5: the audit log indexes itself in steps (see SqliteAuditLog): appending an event writes its row and its
        // time key only, and every 256th event's commit files the keys of all the events before it (secret,
        // principal, run, action) into audit_keys in one statement. The three per-event indexes and audit_secrets were
        // most of what a hand-off cost the single writer. The table is rebuilt without AUTOINCREMENT: nothing is ever
        // deleted from it, so plain rowids grow in append order too, without a sqlite_sequence update per event.
        $"""
        CREATE TABLE audit_log_5 (
            id INTEGER PRIMARY KEY,
            time INTEGER NOT NULL,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            secret TEXT,
            version INTEGER,
            principal TEXT,
            workflow_id TEXT,
            task_id TEXT,
            task_reference_name TEXT,
            detail TEXT,
            secrets TEXT);
        INSERT INTO audit_log_5 (id, time, action, outcome, secret, version, principal, workflow_id, task_id, task_reference_name, detail, secrets)
            SELECT id, time, action, outcome, secret, version, principal, workflow_id, task_id, task_reference_name, detail, secrets FROM audit_log;
        DROP TABLE audit_log;
        ALTER TABLE audit_log_5 RENAME TO audit_log;
        CREATE INDEX audit_by_time ON audit_log (time);
        DROP TABLE audit_secrets;
        CREATE TABLE audit_keys (
            key TEXT NOT NULL, time INTEGER NOT NULL, event_id INTEGER NOT NULL,
            PRIMARY KEY (key, time, event_id)) WITHOUT ROWID;
        CREATE TABLE audit_indexed (id INTEGER PRIMARY KEY CHECK (id = 1), through INTEGER NOT NULL);
        INSERT INTO audit_indexed (id, through) VALUES (1, 0);
        INSERT OR IGNORE INTO audit_keys (key, time, event_id) {AuditKeysOfEveryEvent};
        UPDATE audit_indexed SET through = (SELECT coalesce(max(id), 0) FROM audit_log);
        """,
        // 6: the audit log indexes itself by steps, not event by event (see SqliteAuditLog): each distinct key of a step
        // of {SqliteAuditLog.IndexStep} events is filed once, with the step's number and the first and last time of its
        // events with that key; `t:` (every event) replaces the time index. Filing every event's keys (about six per
        // hand-off) and its time key was still most of what a hand-off cost the single writer. Every complete step is
        // filed here; the events after them are read as they are.
        $"""
        CREATE TABLE audit_steps (
            key TEXT NOT NULL, last_time INTEGER NOT NULL, step INTEGER NOT NULL, first_time INTEGER NOT NULL,
            PRIMARY KEY (key, last_time, step)) WITHOUT ROWID;
        INSERT OR IGNORE INTO audit_steps (key, last_time, step, first_time)
            SELECT key, max(time), (id + {SqliteAuditLog.IndexStep - 1}) / {SqliteAuditLog.IndexStep} AS step, min(time) FROM (
                {AuditKeysOfEveryEvent}
                UNION ALL
                SELECT 't:', time, id FROM audit_log)
            WHERE id <= (SELECT coalesce(max(id), 0) / {SqliteAuditLog.IndexStep} * {SqliteAuditLog.IndexStep} FROM audit_log)
            GROUP BY key, step;
        UPDATE audit_indexed SET through = (SELECT coalesce(max(id), 0) / {SqliteAuditLog.IndexStep} * {SqliteAuditLog.IndexStep} FROM audit_log);
        DROP TABLE audit_keys;
        DROP INDEX audit_by_time;
        """,
        // 7: runs by status in start order, whatever their name and version. The queries that filter on status all order
        // by start time (running and active runs, searches). Filed by (status, name, version), a run that ended moved to
        // the end of its name and version's range: in the middle of the index for all but the last one, one more page
        // per commit, so the same workflow ran measurably faster under one version number than under another.
        """
        DROP INDEX workflows_by_status;
        CREATE INDEX workflows_by_status ON workflows (status, start_time);
        """,
        // 8: workflow schedules (issue 15). A schedule is its JSON document plus the columns the scheduler and the
        // list filter read; its next due time is a column so a fire's claim moves it in the same transaction that
        // records the fire. A fire is unique per schedule and due time: a due time claimed once is never fired again.
        """
        CREATE TABLE schedules (
            name TEXT PRIMARY KEY,
            workflow_name TEXT NOT NULL,
            updated_time INTEGER NOT NULL,
            next_run_time INTEGER,
            json TEXT NOT NULL) WITHOUT ROWID;
        CREATE INDEX schedules_by_workflow ON schedules (workflow_name, name);
        CREATE TABLE schedule_executions (
            execution_id TEXT PRIMARY KEY,
            schedule_name TEXT NOT NULL,
            scheduled_time INTEGER NOT NULL,
            state TEXT NOT NULL,
            workflow_name TEXT,
            workflow_id TEXT,
            json TEXT NOT NULL,
            UNIQUE (schedule_name, scheduled_time));
        CREATE INDEX schedule_executions_by_time ON schedule_executions (scheduled_time);
        CREATE INDEX schedule_executions_polled ON schedule_executions (state) WHERE state = 'POLLED';
        """,
        // 9: idempotency keys on start (issue 15): a run's key is a column, found by workflow name and key.
        """
        ALTER TABLE workflows ADD COLUMN idempotency_key TEXT;
        UPDATE workflows SET idempotency_key = json_extract(json, '$.idempotencyKey') WHERE json_extract(json, '$.idempotencyKey') IS NOT NULL;
        CREATE INDEX workflows_by_idempotency_key ON workflows (workflow_name, idempotency_key, start_time) WHERE idempotency_key IS NOT NULL;
        """,
        // 10: a run's version, checked on every write (issue 18's contract: a change decided on an old copy is refused),
        // and the node that owns it (always this one on SQLite; kept for the same contract).
        """
        ALTER TABLE workflows ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE workflows ADD COLUMN owner_node TEXT;
        """,
        // 11: failed sign-ins, one row a failure (keys are hashes), so throttling survives a restart and is shared by
        // the nodes of one store (see ISignInFailureStore).
        """
        CREATE TABLE sign_in_failures (key TEXT NOT NULL, at INTEGER NOT NULL);
        CREATE INDEX sign_in_failures_by_key ON sign_in_failures (key, at);
        CREATE INDEX sign_in_failures_by_time ON sign_in_failures (at);
        """,
    ];

    /// <summary>The schema version this build writes.</summary>
    public static int Latest => Migrations.Length;

    /// <summary>Applies the migrations the database lacks, up to <paramref name="target"/> (tests build older databases with it).</summary>
    public static void Migrate(SqliteConnection connection, int? target = null)
    {
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version;";
        var current = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Migrations.Length)
        {
            throw new InvalidOperationException(
                $"The database was written by a newer Baton (schema {current}; this one knows up to {Migrations.Length}). Use that version or restore a backup.");
        }
        for (var version = current; version < (target ?? Migrations.Length); version++)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Migrations[version] + $"\nPRAGMA user_version = {version + 1};";
            command.ExecuteNonQuery();
            transaction.Commit();
        }
    }
}
