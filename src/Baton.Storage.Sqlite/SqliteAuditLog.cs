using System.Buffers;
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
/// The log indexes itself in steps. Appending an event writes its row (and the <c>audit_by_time</c> key) only; the
/// commit that appends every <see cref="IndexStep"/>th event also files, in one statement, the keys of every event
/// before it in <c>audit_keys</c>: <c>s:</c> each secret it names, <c>p:</c> its principal, <c>w:</c> its run,
/// <c>a:</c> its action, each with its time. <c>audit_indexed.through</c> is the last event filed. A query walks the
/// keys for the events up to there and reads the newer ones (fewer than <see cref="IndexStep"/>, found by rowid)
/// directly, so it always sees every event, and none is ever acknowledged before its row is durable. Indexing each
/// event as it was appended (three indexes and three secret keys, each a separate b-tree insert on the single
/// writer) was most of what a hand-off cost the writer (docs/performance.md).
/// </para>
/// </summary>
public sealed class SqliteAuditLog(SqliteDatabase database) : IAuditLog
{
    /// <summary>Every this many events, the events appended since the last step are filed in <c>audit_keys</c>.</summary>
    internal const int IndexStep = 256;

    public Task AppendAsync(AuditEvent auditEvent, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        return database.WriteAsync(connection => Insert(connection, auditEvent), ct);
    }

    public Task AppendResolutionsAsync(IReadOnlyList<SecretResolution> resolutions, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(resolutions);
        var encoded = Encode(resolutions);
        return database.WriteAsync(connection => Insert(connection, encoded), ct);
    }

    /// <summary>A resolution with its secrets already encoded (on the caller's thread: the single writer only copies bytes).</summary>
    internal sealed record EncodedResolution(SecretResolution Resolution, byte[] Secrets);

    internal static List<EncodedResolution> Encode(IReadOnlyList<SecretResolution> resolutions) =>
        [.. resolutions.Select(r => new EncodedResolution(r, EncodeSecrets(r.Secrets)))];

    /// <summary>Appends one event inside a write already under way.</summary>
    internal static void Insert(SqliteConnection connection, AuditEvent e)
    {
        Run(connection, """
            INSERT INTO audit_log (time, action, outcome, secret, version, principal, workflow_id, task_id, task_reference_name, detail)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10);
            """, e.Time, e.Action, e.Outcome, Nullable(e.Secret), e.Version is { } version ? version : DBNull.Value, Nullable(e.Principal),
            Nullable(e.WorkflowId), Nullable(e.TaskId), Nullable(e.TaskReferenceName), Nullable(e.Detail));
        Appended(connection);
    }

    /// <summary>Appends resolutions inside a write already under way (a run's commit carrying its hand-offs).</summary>
    internal static void Insert(SqliteConnection connection, IReadOnlyList<EncodedResolution> resolutions)
    {
        foreach (var (r, secrets) in resolutions)
        {
            Run(connection, """
                INSERT INTO audit_log (time, action, outcome, principal, workflow_id, task_id, task_reference_name, secrets)
                VALUES (?1, 'resolve', 'ok', ?2, ?3, ?4, ?5, ?6);
                """, r.Time, Nullable(r.Principal), r.WorkflowId, r.TaskId, r.TaskReferenceName, secrets);
            Appended(connection);
        }
    }

    /// <summary>
    /// After an append: on every <see cref="IndexStep"/>th event, files the keys of the events not yet filed. Rowids are
    /// max + 1 (the log is never deleted from, and a rolled-back append frees its id again), so every multiple is reached.
    /// </summary>
    private static void Appended(SqliteConnection connection)
    {
        var id = LastInsertRowId(connection);
        if (id % IndexStep != 0) return;
        Run(connection, FileKeysStatement, id);
        Run(connection, "UPDATE audit_indexed SET through = ?1 WHERE through < ?1;", id);
    }

    private static readonly string FileKeysStatement = FileKeysSql(after: "(SELECT through FROM audit_indexed)", through: "?1");

    /// <summary>The statement that files the keys of the events with ids in (<paramref name="after"/>, <paramref name="through"/>].</summary>
    internal static string FileKeysSql(string after, string through) => $"""
        INSERT OR IGNORE INTO audit_keys (key, time, event_id)
            SELECT 's:' || secret, time, id FROM audit_log WHERE id > {after} AND id <= {through} AND secret IS NOT NULL
            UNION ALL
            SELECT 's:' || json_extract(j.value, '$[0]'), e.time, e.id FROM audit_log e, json_each(e.secrets) j
                WHERE e.id > {after} AND e.id <= {through} AND e.secrets IS NOT NULL
            UNION ALL
            SELECT 'p:' || principal, time, id FROM audit_log WHERE id > {after} AND id <= {through} AND principal IS NOT NULL
            UNION ALL
            SELECT 'w:' || workflow_id, time, id FROM audit_log WHERE id > {after} AND id <= {through} AND workflow_id IS NOT NULL
            UNION ALL
            SELECT 'a:' || action, time, id FROM audit_log WHERE id > {after} AND id <= {through}
        """;

    private static object Nullable(string? value) => (object?)value ?? DBNull.Value;

    /// <summary>
    /// A resolution's secrets as stored in <c>audit_log.secrets</c>: UTF-8 JSON, one <c>[name, version, fingerprint]</c>
    /// array per secret, in the order given. Never a value: a fingerprint is a truncated keyed HMAC.
    /// </summary>
    internal static byte[] EncodeSecrets(IReadOnlyList<ResolvedSecret> secrets)
    {
        var buffer = new ArrayBufferWriter<byte>(32 * secrets.Count + 2);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var secret in secrets)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(secret.Name);
                writer.WriteNumberValue(secret.Version);
                writer.WriteStringValue(secret.Fingerprint);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
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
        using var connection = database.OpenRead();
        // One snapshot for both statements: the events filed and the ones after them, split at the same `through`.
        using var transaction = connection.BeginTransaction(deferred: true);
        var rows = new List<(AuditEvent Event, string? Secrets)>();
        foreach (var command in QueryCommands(connection, query))
        {
            using (command)
            {
                command.Transaction = transaction;
                using var reader = command.ExecuteReader();
                while (reader.Read()) rows.Add((ReadEvent(reader), reader.GetStringOrNull(11)));
            }
        }
        // Each statement came newest first and at most `limit` long; together, in the same order.
        rows.Sort((a, b) => (b.Event.Time, b.Event.Id).CompareTo((a.Event.Time, a.Event.Id)));
        var events = new List<AuditEvent>();
        foreach (var (e, secrets) in rows)
        {
            if (events.Count >= limit) break;
            if (secrets is null)
            {
                events.Add(e);
                continue;
            }
            // One event per secret, the last named first (as if appended one by one, newest first).
            foreach (var secret in Enumerable.Reverse(DecodeSecrets(secrets)))
            {
                if (query.Secret is not null && secret.Name != query.Secret) continue;
                events.Add(e with { Secret = secret.Name, Version = secret.Version, Fingerprint = secret.Fingerprint });
            }
        }
        if (events.Count > limit) events.RemoveRange(limit, events.Count - limit);
        return Task.FromResult<IReadOnlyList<AuditEvent>>(events);
    }

    private static AuditEvent ReadEvent(SqliteDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        Time = reader.GetInt64(1),
        Action = reader.GetString(2),
        Outcome = reader.GetString(3),
        Secret = reader.GetStringOrNull(4),
        Version = reader.IsDBNull(5) ? null : reader.GetInt32(5),
        Principal = reader.GetStringOrNull(6),
        WorkflowId = reader.GetStringOrNull(7),
        TaskId = reader.GetStringOrNull(8),
        TaskReferenceName = reader.GetStringOrNull(9),
        Detail = reader.GetStringOrNull(10),
    };

    /// <summary>The last event filed in <c>audit_keys</c>, as a scalar subquery.</summary>
    internal const string Through = "(SELECT through FROM audit_indexed WHERE id = 1)";

    private const string Columns = "SELECT e.id, e.time, e.action, e.outcome, e.secret, e.version, e.principal, e.workflow_id, e.task_id, e.task_reference_name, e.detail, e.secrets";

    /// <summary>
    /// The query's statements, each newest first and at most the limit long. Without a secret, principal, run or action
    /// it is one walk of <c>audit_by_time</c>. With one, it is two: the events filed so far, walked in order through
    /// <c>audit_keys</c> on the most selective criterion (secret, run, principal, action), and the events after them,
    /// found by rowid; every other criterion filters the rows.
    /// </summary>
    internal static List<SqliteCommand> QueryCommands(SqliteConnection connection, AuditQuery query)
    {
        (string Prefix, string Value)? key =
            query.Secret is { } secret ? ("s:", secret)
            : query.WorkflowId is { } workflow ? ("w:", workflow)
            : query.Principal is { } principal ? ("p:", principal)
            : query.Action is { } action ? ("a:", action)
            : null;
        if (key is null) return [Command(connection, query, $"{Columns} FROM audit_log e WHERE 1 = 1{Filters(query, "e.time", covered: null)} ORDER BY e.time DESC, e.id DESC LIMIT $limit;")];

        var (prefix, value) = key.Value;
        var filed = Command(connection, query,
            $"{Columns} FROM audit_keys k JOIN audit_log e ON e.id = k.event_id WHERE k.key = $key AND k.event_id <= {Through}"
            + $"{Filters(query, "k.time", covered: prefix)} ORDER BY k.time DESC, k.event_id DESC LIMIT $limit;");
        filed.Parameters.AddWithValue("$key", prefix + value);
        // `+e.time`: sorting the few newer rows, not walking audit_by_time down the whole log to find them.
        var newer = Command(connection, query,
            $"{Columns} FROM audit_log e WHERE e.id > {Through}{Filters(query, "+e.time", covered: null)} ORDER BY +e.time DESC, e.id DESC LIMIT $limit;");
        return [filed, newer];
    }

    /// <summary>The criteria as SQL conditions on <c>e</c>, but the one the key walk already ensures.</summary>
    private static string Filters(AuditQuery query, string time, string? covered)
    {
        var sql = new StringBuilder();
        if (query.Secret is not null && covered != "s:")
        {
            sql.Append(" AND (e.secret = $secret OR (e.secrets IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(e.secrets) j WHERE json_extract(j.value, '$[0]') = $secret)))");
        }
        if (query.WorkflowId is not null && covered != "w:") sql.Append(" AND e.workflow_id = $workflow");
        if (query.Principal is not null && covered != "p:") sql.Append(" AND e.principal = $principal");
        if (query.Action is not null && covered != "a:") sql.Append(" AND e.action = $action");
        if (query.From is not null) sql.Append($" AND {time} >= $from");
        if (query.To is not null) sql.Append($" AND {time} <= $to");
        return sql.ToString();
    }

    private static SqliteCommand Command(SqliteConnection connection, AuditQuery query, string sql) => Create(connection, sql,
        ("$secret", query.Secret), ("$principal", query.Principal), ("$workflow", query.WorkflowId), ("$action", query.Action),
        ("$from", query.From), ("$to", query.To), ("$limit", Math.Max(0, query.Limit)));
}
