using Npgsql;

namespace Baton.Storage.Postgres;

/// <summary>
/// The schema's versions, applied in order at start. Every node runs <see cref="MigrateAsync"/>; the first to take the
/// advisory lock applies what is missing, the others wait for it and then find nothing left to do. A database whose
/// schema is newer than this build knows is refused: an older node must not write into tables it does not understand.
/// </summary>
public static class PostgresSchema
{
    /// <summary>An arbitrary constant naming Baton's migration lock among the database's advisory locks.</summary>
    internal const long MigrationLockKey = 0x4261746F6E4D6967; // "BatonMig"

    private static readonly string[] Migrations =
    [
        // 1: environment values and their tags.
        """
        CREATE TABLE environment_values (name text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE environment_tags (
            name text NOT NULL REFERENCES environment_values (name) ON DELETE CASCADE,
            key text NOT NULL, value text NOT NULL, PRIMARY KEY (name, key));
        """,
        // 2: the access model. A user's id is an email, matched without case (as SQLite's NOCASE): keyed by lower(id).
        """
        CREATE TABLE access_users (key text PRIMARY KEY, id text NOT NULL, json text NOT NULL);
        CREATE TABLE access_groups (id text PRIMARY KEY, json text NOT NULL);
        CREATE TABLE access_applications (id text PRIMARY KEY, json text NOT NULL);
        CREATE TABLE access_keys (
            id text PRIMARY KEY, application_id text NOT NULL, secret_hash bytea NOT NULL,
            active boolean NOT NULL, created_at bigint NOT NULL);
        CREATE TABLE access_grants (
            subject_type text NOT NULL, subject_id text NOT NULL, target_type text NOT NULL, target_id text NOT NULL,
            access bigint NOT NULL, PRIMARY KEY (subject_type, subject_id, target_type, target_id));
        """,
        // 3: secrets (ciphertext only) and the audit log, from which run manifests are read. An event lists the secrets
        // it names in secret_names (GIN-indexed), a resolution's one row naming several.
        """
        CREATE TABLE secret_keyring (id integer PRIMARY KEY CHECK (id = 1), wrapped bytea NOT NULL);
        CREATE TABLE secrets (
            name text PRIMARY KEY, description text, current_version integer NOT NULL,
            created_by text, created_at bigint NOT NULL, updated_by text, updated_at bigint NOT NULL,
            last_used_at bigint, deleted_at bigint, deleted_by text);
        CREATE INDEX secrets_by_deleted ON secrets (deleted_at) WHERE deleted_at IS NOT NULL;
        CREATE TABLE secret_versions (
            name text NOT NULL REFERENCES secrets (name) ON DELETE CASCADE, version integer NOT NULL, kind text NOT NULL,
            ciphertext bytea, created_by text, created_at bigint NOT NULL, destroyed_at bigint, PRIMARY KEY (name, version));
        CREATE TABLE secret_tags (
            name text NOT NULL REFERENCES secrets (name) ON DELETE CASCADE, key text NOT NULL, value text NOT NULL,
            PRIMARY KEY (name, key));
        CREATE TABLE audit_log (
            id bigserial PRIMARY KEY, time bigint NOT NULL, action text NOT NULL, outcome text NOT NULL,
            secret text, version integer, principal text, workflow_id text, task_id text, task_reference_name text,
            detail text, secrets jsonb, secret_names text[] NOT NULL);
        CREATE INDEX audit_by_time ON audit_log (time, id);
        CREATE INDEX audit_by_secret ON audit_log USING gin (secret_names);
        CREATE INDEX audit_by_principal ON audit_log (principal, time, id) WHERE principal IS NOT NULL;
        CREATE INDEX audit_by_workflow ON audit_log (workflow_id, id) WHERE workflow_id IS NOT NULL;
        CREATE INDEX audit_by_action ON audit_log (action, time, id);
        """,
        // 4: workflow and task definitions, as their JSON.
        """
        CREATE TABLE workflow_defs (name text NOT NULL, version integer NOT NULL, json text NOT NULL, PRIMARY KEY (name, version));
        CREATE TABLE task_defs (name text PRIMARY KEY, json text NOT NULL);
        """,
        // 5: workflow schedules and their fires, a fire unique per schedule and due time (see PostgresScheduleStore).
        """
        CREATE TABLE schedules (
            name text PRIMARY KEY, workflow_name text NOT NULL, updated_time bigint NOT NULL, next_run_time bigint, json text NOT NULL);
        CREATE INDEX schedules_by_workflow ON schedules (workflow_name, name);
        CREATE TABLE schedule_executions (
            execution_id text PRIMARY KEY, schedule_name text NOT NULL, scheduled_time bigint NOT NULL, state text NOT NULL,
            workflow_name text, workflow_id text, json text NOT NULL, UNIQUE (schedule_name, scheduled_time));
        CREATE INDEX schedule_executions_by_time ON schedule_executions (scheduled_time);
        CREATE INDEX schedule_executions_polled ON schedule_executions (state) WHERE state = 'POLLED';
        """,
        // 6: runs (their JSON without tasks, and the columns searches filter on), task attempts, task logs, poll data.
        """
        CREATE TABLE workflows (
            workflow_id text PRIMARY KEY, workflow_name text NOT NULL, workflow_version integer NOT NULL, status text NOT NULL,
            correlation_id text, start_time bigint NOT NULL, end_time bigint NOT NULL, created_by text, idempotency_key text, json text NOT NULL);
        CREATE INDEX workflows_by_status ON workflows (status, workflow_name, workflow_version);
        CREATE INDEX workflows_by_name ON workflows (workflow_name, start_time);
        CREATE INDEX workflows_by_start ON workflows (start_time);
        CREATE INDEX workflows_by_correlation ON workflows (correlation_id) WHERE correlation_id IS NOT NULL;
        CREATE INDEX workflows_by_idempotency_key ON workflows (workflow_name, idempotency_key, start_time) WHERE idempotency_key IS NOT NULL;
        CREATE TABLE tasks (task_id text PRIMARY KEY, workflow_id text NOT NULL, seq integer NOT NULL, json text NOT NULL);
        CREATE INDEX tasks_by_workflow ON tasks (workflow_id, seq);
        CREATE TABLE task_logs (id bigserial PRIMARY KEY, task_id text NOT NULL, log text, created_time bigint NOT NULL);
        CREATE INDEX task_logs_by_task ON task_logs (task_id, id);
        CREATE TABLE poll_data (queue_name text NOT NULL, domain text NOT NULL, json text NOT NULL, PRIMARY KEY (queue_name, domain));
        """,
        // 2: several nodes (issue 18). A run's version, checked by every write; the node that owns it (runs its system
        // tasks and timers); the nodes alive, by heartbeat; and the error a refused write raises, so a group commit can
        // tell which of its writes lost.
        """
        ALTER TABLE workflows ADD COLUMN version bigint NOT NULL DEFAULT 1, ADD COLUMN owner_node text;
        CREATE INDEX workflows_active_by_owner ON workflows (owner_node) WHERE status IN ('RUNNING', 'PAUSED');
        CREATE TABLE baton_nodes (node_id text PRIMARY KEY, host text NOT NULL, started_at timestamptz NOT NULL DEFAULT now(),
            heartbeat_at timestamptz NOT NULL DEFAULT now());
        CREATE FUNCTION baton_run_changed(workflow_id text) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'workflow % was changed elsewhere since it was read', workflow_id USING ERRCODE = 'BT409';
        END $$;
        """,
        // 3: failed sign-ins, one row a failure (keys are hashes), counted by every node (see ISignInFailureStore).
        """
        CREATE TABLE sign_in_failures (key text NOT NULL, at bigint NOT NULL);
        CREATE INDEX sign_in_failures_by_key ON sign_in_failures (key, at);
        CREATE INDEX sign_in_failures_by_time ON sign_in_failures (at);
        """,
    ];

    /// <summary>The schema version this build writes.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <returns>How many migrations this call applied (0 when another node had already applied them).</returns>
    public static async Task<int> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key);", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", MigrationLockKey);
            await lockCommand.ExecuteNonQueryAsync(ct);
        }
        await using (var create = new NpgsqlCommand(
            "CREATE TABLE IF NOT EXISTS baton_schema (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());",
            connection, transaction))
        {
            await create.ExecuteNonQueryAsync(ct);
        }
        int version;
        await using (var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM baton_schema;", connection, transaction))
        {
            version = Convert.ToInt32(await read.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        }
        if (version > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL database has Baton schema version {version}, newer than this build's {CurrentVersion}: " +
                "a newer Baton has upgraded it. Run that version (or newer) on every node.");
        }
        for (var next = version + 1; next <= CurrentVersion; next++)
        {
            await using var apply = new NpgsqlCommand(Migrations[next - 1], connection, transaction);
            await apply.ExecuteNonQueryAsync(ct);
            await using var record = new NpgsqlCommand("INSERT INTO baton_schema (version) VALUES (@version);", connection, transaction);
            record.Parameters.AddWithValue("version", next);
            await record.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return CurrentVersion - version;
    }
}
