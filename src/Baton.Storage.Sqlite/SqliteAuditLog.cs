using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Baton.Secrets.Audit;
using static Baton.Storage.Sqlite.SqliteCommands;

namespace Baton.Storage.Sqlite;

/// <summary>
/// The audit log in SQLite: insert-only; the id is assigned here, in append order. An event about one secret keeps it
/// in the <c>secret</c> and <c>version</c> columns; a hand-off's resolution is one row whose <c>secrets</c> column
/// lists what it gave (see <see cref="EncodeSecrets"/>), so a hand-off of three secrets costs one row, not three.
/// <para>
/// The log indexes itself by steps of <see cref="IndexStep"/> events, not event by event. Appending an event writes
/// its row only (no secondary index) and notes its keys in memory: <c>s:</c> each secret it names, <c>p:</c> its
/// principal, <c>w:</c> its run, <c>a:</c> its action, and <c>t:</c>, which every event has (<see cref="PendingKeys"/>). The commit that
/// appends a step's last event files each distinct key of the step once in <c>audit_steps</c>, with the step's
/// number and the earliest and latest time of the step's events that have it; <c>audit_indexed.through</c> is the
/// last event filed. A query walks its key's steps, latest first, reads the step's rows by rowid range, and
/// stops as soon as no older step can hold a newer event than those it has (see <see cref="QueryAsync"/>); the
/// events after <c>through</c> (fewer than a step) it reads directly. So every answer holds every event, and no
/// event is acknowledged before its row is durable. Under load the same few secrets, principal and action recur in
/// every step, so a step of 256 hand-offs files some 130 keys where indexing each event filed some 1,500, plus a
/// time index entry per event (most of what a hand-off cost the single writer: docs/performance.md).
/// </para>
/// </summary>
public sealed class SqliteAuditLog(SqliteDatabase database) : IAuditLog
{
    /// <summary>The events of one step: step <c>n</c> holds the ids <c>((n - 1) * IndexStep, n * IndexStep]</c>.</summary>
    internal const int IndexStep = 256;

    public Task AppendAsync(AuditEvent auditEvent, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        return database.WriteAsync(connection => Insert(database, connection, auditEvent), ct);
    }

    public Task AppendResolutionsAsync(IReadOnlyList<SecretResolution> resolutions, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(resolutions);
        var encoded = Encode(resolutions);
        return database.WriteAsync(connection => Insert(database, connection, encoded), ct);
    }

    /// <summary>A resolution with its secrets already encoded (on the caller's thread: the single writer only copies bytes).</summary>
    internal sealed record EncodedResolution(SecretResolution Resolution, byte[] Secrets);

    internal static List<EncodedResolution> Encode(IReadOnlyList<SecretResolution> resolutions) =>
        [.. resolutions.Select(r => new EncodedResolution(r, EncodeSecrets(r.Secrets)))];

    /// <summary>Appends one event inside a write already under way on <paramref name="database"/>.</summary>
    internal static void Insert(SqliteDatabase database, SqliteConnection connection, AuditEvent e)
    {
        var pending = PendingKeys.Of(database, connection);
        Run(connection, """
            INSERT INTO audit_log (time, action, outcome, secret, version, principal, workflow_id, task_id, task_reference_name, detail)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10);
            """, e.Time, e.Action, e.Outcome, Nullable(e.Secret), e.Version is { } version ? version : DBNull.Value, Nullable(e.Principal),
            Nullable(e.WorkflowId), Nullable(e.TaskId), Nullable(e.TaskReferenceName), Nullable(e.Detail));
        var id = LastInsertRowId(connection);
        pending.Add(id, e.Time, e.Action, e.Principal, e.WorkflowId);
        if (e.Secret is not null) pending.AddSecret(id, e.Time, e.Secret);
        pending.Appended(connection, id);
    }

    /// <summary>Appends resolutions inside a write already under way on <paramref name="database"/> (a run's commit carrying its hand-offs).</summary>
    internal static void Insert(SqliteDatabase database, SqliteConnection connection, IReadOnlyList<EncodedResolution> resolutions)
    {
        if (resolutions.Count == 0) return;
        var pending = PendingKeys.Of(database, connection);
        foreach (var (r, secrets) in resolutions)
        {
            Run(connection, """
                INSERT INTO audit_log (time, action, outcome, principal, workflow_id, task_id, task_reference_name, secrets)
                VALUES (?1, 'resolve', 'ok', ?2, ?3, ?4, ?5, ?6);
                """, r.Time, Nullable(r.Principal), r.WorkflowId, r.TaskId, r.TaskReferenceName, secrets);
            var id = LastInsertRowId(connection);
            pending.Add(id, r.Time, AuditActions.Resolve, r.Principal, r.WorkflowId);
            foreach (var secret in r.Secrets) pending.AddSecret(id, r.Time, secret.Name);
            pending.Appended(connection, id);
        }
    }

    /// <summary>
    /// The keys of the events not filed yet, by step, kept beside the database by its writer (one per database, used
    /// only on the writer thread). Loaded from the rows after <c>through</c> on first use, so a restart loses nothing.
    /// A step leaves it only once the commit that filed it is durable: when that commit rolls back, the step is filed
    /// again by the commit that next appends its last id (rowids are max + 1, and a rolled-back append frees its id).
    /// Keys of a rolled-back event may linger in a step; they only make a query read that step's rows for nothing.
    /// </summary>
    internal sealed class PendingKeys
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SqliteDatabase, PendingKeys> ByDatabase = new();

        private readonly SqliteDatabase _database;
        private readonly Dictionary<long, Dictionary<(char Kind, string Value), (long First, long Last)>> _steps = [];

        private PendingKeys(SqliteDatabase database, SqliteConnection connection)
        {
            _database = database;
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT id, time, action, secret, principal, workflow_id, secrets FROM audit_log WHERE id > {Through};";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var (id, time) = (reader.GetInt64(0), reader.GetInt64(1));
                Add(id, time, reader.GetString(2), reader.GetStringOrNull(4), reader.GetStringOrNull(5));
                if (reader.GetStringOrNull(3) is { } secret) AddSecret(id, time, secret);
                if (reader.GetStringOrNull(6) is { } secrets)
                {
                    foreach (var named in DecodeSecrets(secrets)) AddSecret(id, time, named.Name);
                }
            }
        }

        public static PendingKeys Of(SqliteDatabase database, SqliteConnection connection) =>
            ByDatabase.TryGetValue(database, out var pending) ? pending : ByDatabase.GetValue(database, _ => new PendingKeys(database, connection));

        public void Add(long id, long time, string action, string? principal, string? workflowId)
        {
            Note(id, time, 't', "");
            Note(id, time, 'a', action);
            if (principal is not null) Note(id, time, 'p', principal);
            if (workflowId is not null) Note(id, time, 'w', workflowId);
        }

        public void AddSecret(long id, long time, string secret) => Note(id, time, 's', secret);

        private void Note(long id, long time, char kind, string value)
        {
            var keys = KeysOf(StepOf(id));
            ref var span = ref CollectionsMarshal.GetValueRefOrAddDefault(keys, (kind, value), out var known);
            span = known ? (Math.Min(span.First, time), Math.Max(span.Last, time)) : (time, time);
        }

        private long _lastStep = -1;
        private Dictionary<(char Kind, string Value), (long First, long Last)>? _lastKeys;

        /// <summary>An event notes five keys or more, nearly always in the step of the one before.</summary>
        private Dictionary<(char Kind, string Value), (long First, long Last)> KeysOf(long step)
        {
            if (step == _lastStep && _lastKeys is not null) return _lastKeys;
            if (!_steps.TryGetValue(step, out var keys)) _steps[step] = keys = [];
            (_lastStep, _lastKeys) = (step, keys);
            return keys;
        }

        /// <summary>After an append: the step's last event files the step's keys, in the same commit.</summary>
        public void Appended(SqliteConnection connection, long id)
        {
            if (id % IndexStep != 0) return;
            var step = id / IndexStep;
            foreach (var ((kind, value), (first, last)) in _steps.GetValueOrDefault(step) ?? [])
            {
                Run(connection, "INSERT OR IGNORE INTO audit_steps (key, last_time, step, first_time) VALUES (?1, ?2, ?3, ?4);",
                    $"{kind}:{value}", last, step, first);
            }
            Run(connection, "UPDATE audit_indexed SET through = ?1 WHERE through < ?1;", id);
            _database.AfterCommit(() =>
            {
                _steps.Remove(step);
                if (_lastStep == step) (_lastStep, _lastKeys) = (-1, null);
            });
        }
    }

    /// <summary>The step an event id belongs to.</summary>
    internal static long StepOf(long id) => (id + IndexStep - 1) / IndexStep;

    /// <summary>SQL: the event id <paramref name="id"/> is in step <paramref name="step"/> (both SQL expressions); a rowid range.</summary>
    internal static string InStep(string id, string step) => $"{id} > ({step} - 1) * {IndexStep} AND {id} <= {step} * {IndexStep}";

    private static object Nullable(string? value) => (object?)value ?? DBNull.Value;

    /// <summary>
    /// A resolution's secrets as stored in <c>audit_log.secrets</c>: UTF-8 JSON, one <c>[name, version, fingerprint]</c>
    /// array per secret, in the order given. Never a value: a fingerprint is a truncated keyed HMAC.
    /// </summary>
    internal static byte[] EncodeSecrets(IReadOnlyList<ResolvedSecret> secrets)
    {
        var parts = new byte[secrets.Count][];
        var length = 2 + Math.Max(0, secrets.Count - 1);
        for (var i = 0; i < secrets.Count; i++) length += (parts[i] = Encoded(secrets[i])).Length;
        var encoded = new byte[length];
        encoded[0] = (byte)'[';
        var at = 1;
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0) encoded[at++] = (byte)',';
            parts[i].CopyTo(encoded, at);
            at += parts[i].Length;
        }
        encoded[at] = (byte)']';
        return encoded;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ResolvedSecret, byte[]> EncodedSecrets = new();

    /// <summary>One secret's <c>[name, version, fingerprint]</c>, encoded once per object (the vault reuses a version's).</summary>
    private static byte[] Encoded(ResolvedSecret secret)
    {
        if (EncodedSecrets.TryGetValue(secret, out var known)) return known;
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(secret.Name);
            writer.WriteNumberValue(secret.Version);
            writer.WriteStringValue(secret.Fingerprint);
            writer.WriteEndArray();
        }
        var encoded = buffer.WrittenSpan.ToArray();
        EncodedSecrets.AddOrUpdate(secret, encoded);
        return encoded;
    }

    /// <summary>Reads what <see cref="EncodeSecrets"/> wrote.</summary>
    internal static List<ResolvedSecret> DecodeSecrets(string stored)
    {
        using var document = JsonDocument.Parse(stored);
        return [.. document.RootElement.EnumerateArray().Select(s => new ResolvedSecret(s[0].GetString()!, s[1].GetInt32(), s[2].GetString()!))];
    }

    public Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Max(0, query.Limit);
        if (limit == 0) return Task.FromResult<IReadOnlyList<AuditEvent>>([]);
        using var connection = database.OpenRead();
        // One snapshot for every statement: the steps filed and the events after them, split at the same `through`.
        using var transaction = connection.BeginTransaction(deferred: true);
        var plan = QueryPlan.For(query);
        var rows = new List<(AuditEvent Event, string? Secrets)>();
        using (var newest = QueryPlan.Command(connection, plan.Newest, query))
        {
            newest.Transaction = transaction;
            Read(newest, rows);
        }
        // The key's steps, latest first. Rows are kept newest first and at most `limit` long; a step whose latest event
        // with the key is older than the oldest kept row cannot change the answer, nor can any after it.
        using (var steps = Create(connection, plan.Steps, ("$key", plan.Key), ("$from", query.From), ("$to", query.To)))
        using (var stepRows = QueryPlan.Command(connection, plan.StepRows, query))
        {
            steps.Transaction = transaction;
            stepRows.Transaction = transaction;
            var step = stepRows.Parameters.AddWithValue("$step", 0L);
            using var reader = steps.ExecuteReader();
            while (reader.Read())
            {
                if (rows.Count >= limit && reader.GetInt64(1) < rows[limit - 1].Event.Time) break;
                step.Value = reader.GetInt64(0);
                Read(stepRows, rows);
                Newest(rows, limit);
            }
        }
        Newest(rows, limit);
        var events = new List<AuditEvent>();
        foreach (var (e, secrets) in rows)
        {
            if (events.Count >= limit) break;
            if (secrets is null)
            {
                events.Add(e);
                continue;
            }
            AuditRows.AddResolved(events, e, DecodeSecrets(secrets), query.Secret);
        }
        if (events.Count > limit) events.RemoveRange(limit, events.Count - limit);
        return Task.FromResult<IReadOnlyList<AuditEvent>>(events);

        static void Read(SqliteCommand command, List<(AuditEvent, string?)> into)
        {
            using var reader = command.ExecuteReader();
            while (reader.Read()) into.Add((AuditRows.Event(reader), reader.GetStringOrNull(11)));
        }
    }

    /// <summary>
    /// Newest first (time, then latest appended), each event once, at most <paramref name="limit"/> rows: each row is at
    /// least one event, so the rows cut off could never be among the answer's.
    /// </summary>
    private static void Newest(List<(AuditEvent Event, string? Secrets)> rows, int limit)
    {
        rows.Sort((a, b) => (b.Event.Time, b.Event.Id).CompareTo((a.Event.Time, a.Event.Id)));
        for (var i = rows.Count - 1; i > 0; i--)
        {
            if (rows[i].Event.Id == rows[i - 1].Event.Id) rows.RemoveAt(i);
        }
        if (rows.Count > limit) rows.RemoveRange(limit, rows.Count - limit);
    }

    /// <summary>The last event filed in <c>audit_steps</c>, as a scalar subquery.</summary>
    internal const string Through = "(SELECT through FROM audit_indexed WHERE id = 1)";

    private const string Columns = "SELECT e.id, e.time, e.action, e.outcome, e.secret, e.version, e.principal, e.workflow_id, e.task_id, e.task_reference_name, e.detail, e.secrets";

    /// <summary>
    /// The statements of a query, by its <see cref="Key"/>: the most selective of secret, run, principal and action, else
    /// <c>t:</c> (every event). <see cref="Newest"/> reads the events not filed yet (by rowid, fewer than a step),
    /// <see cref="Steps"/> walks the key's steps by their latest time (within the time range), and <see cref="StepRows"/>
    /// reads one step's rows by rowid range. Every criterion, the key's too, filters the rows.
    /// </summary>
    internal sealed record QueryPlan(string Key, string Newest, string Steps, string StepRows)
    {
        public static QueryPlan For(AuditQuery query)
        {
            var key = query.Secret is { } secret ? "s:" + secret
                : query.WorkflowId is { } workflow ? "w:" + workflow
                : query.Principal is { } principal ? "p:" + principal
                : query.Action is { } action ? "a:" + action
                : "t:";
            var filters = Filters(query);
            return new(key,
                $"{Columns} FROM audit_log e WHERE e.id > {Through}{filters} ORDER BY e.time DESC, e.id DESC LIMIT $limit;",
                $"SELECT step, last_time FROM audit_steps WHERE key = $key{(query.From is null ? "" : " AND last_time >= $from")}{(query.To is null ? "" : " AND first_time <= $to")} ORDER BY last_time DESC, step DESC;",
                $"{Columns} FROM audit_log e WHERE {InStep("e.id", "$step")}{filters};");
        }

        public static SqliteCommand Command(SqliteConnection connection, string sql, AuditQuery query) => Create(connection, sql,
            ("$secret", query.Secret), ("$principal", query.Principal), ("$workflow", query.WorkflowId), ("$action", query.Action),
            ("$from", query.From), ("$to", query.To), ("$limit", Math.Max(0, query.Limit)));
    }

    /// <summary>Every criterion of the query as SQL conditions on <c>e</c>.</summary>
    private static string Filters(AuditQuery query)
    {
        var sql = new StringBuilder();
        if (query.Secret is not null)
        {
            sql.Append(" AND (e.secret = $secret OR (e.secrets IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(e.secrets) j WHERE json_extract(j.value, '$[0]') = $secret)))");
        }
        if (query.WorkflowId is not null) sql.Append(" AND e.workflow_id = $workflow");
        if (query.Principal is not null) sql.Append(" AND e.principal = $principal");
        if (query.Action is not null) sql.Append(" AND e.action = $action");
        if (query.From is not null) sql.Append(" AND e.time >= $from");
        if (query.To is not null) sql.Append(" AND e.time <= $to");
        return sql.ToString();
    }
}
