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
/// lists what it gave (see <see cref="EncodeSecrets"/>), so a hand-off of three secrets costs one row and its index
/// entries, not three. Either way <c>audit_secrets</c> holds one (secret, time, event) key per secret an event names:
/// the index that queries by secret go through.
/// </summary>
public sealed class SqliteAuditLog(SqliteDatabase database) : IAuditLog
{
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
        if (e.Secret is not null) IndexBySecret(connection, e.Secret, e.Time, LastInsertRowId(connection));
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
            var id = LastInsertRowId(connection);
            foreach (var secret in r.Secrets) IndexBySecret(connection, secret.Name, r.Time, id);
        }
    }

    private static void IndexBySecret(SqliteConnection connection, string secret, long time, long eventId) =>
        Run(connection, "INSERT INTO audit_secrets (secret, time, event_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING;", secret, time, eventId);

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
        using var command = QueryCommand(connection, query);
        using var reader = command.ExecuteReader();
        var events = new List<AuditEvent>();
        while (reader.Read() && events.Count < limit)
        {
            var e = new AuditEvent
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
            if (reader.GetStringOrNull(11) is not { } secrets)
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

    /// <summary>
    /// The query's statement. By secret, the walk goes through audit_secrets' key (secret, time, event) in order;
    /// otherwise through the audit_log index the other criteria pick (principal, workflow, action or time).
    /// </summary>
    internal static SqliteCommand QueryCommand(SqliteConnection connection, AuditQuery query)
    {
        var sql = new StringBuilder("SELECT e.id, e.time, e.action, e.outcome, e.secret, e.version, e.principal, e.workflow_id, e.task_id, e.task_reference_name, e.detail, e.secrets");
        var (time, id) = query.Secret is null ? ("e.time", "e.id") : ("s.time", "s.event_id");
        sql.Append(query.Secret is null
            ? " FROM audit_log e WHERE 1 = 1"
            : " FROM audit_secrets s JOIN audit_log e ON e.id = s.event_id WHERE s.secret = $secret");
        if (query.Principal is not null) sql.Append(" AND e.principal = $principal");
        if (query.WorkflowId is not null) sql.Append(" AND e.workflow_id = $workflow");
        if (query.Action is not null) sql.Append(" AND e.action = $action");
        if (query.From is not null) sql.Append($" AND {time} >= $from");
        if (query.To is not null) sql.Append($" AND {time} <= $to");
        sql.Append($" ORDER BY {time} DESC, {id} DESC LIMIT $limit;");
        return Create(connection, sql.ToString(),
            ("$secret", query.Secret), ("$principal", query.Principal), ("$workflow", query.WorkflowId), ("$action", query.Action),
            ("$from", query.From), ("$to", query.To), ("$limit", Math.Max(0, query.Limit)));
    }
}
