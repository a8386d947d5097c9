using System.Text;
using System.Text.Json;
using Baton.Secrets.Audit;
using Npgsql;
using static Baton.Storage.Postgres.PostgresCommands;

namespace Baton.Storage.Postgres;

/// <summary>
/// The audit log in PostgreSQL: insert-only, ids from a sequence. As in SQLite, a hand-off's resolution is one row whose
/// <c>secrets</c> column (jsonb, <c>[[name, version, fingerprint], ...]</c>, never a value) lists what it gave, read
/// back as one event per secret. Every event also lists the secrets it names in <c>secret_names</c>, indexed with GIN,
/// so "the events of a secret" is one index lookup whichever kind of event named it; run, principal, action and time
/// have b-tree indexes. PostgreSQL maintains them inside the inserting transaction, so no step bookkeeping is needed
/// (SQLite's single writer needed it to keep appends cheap).
/// <para>
/// Ids are assigned at insert, not at commit, so two nodes appending at once may commit ids out of order; an answer
/// is still ordered by time, then id, and the events of one run are appended by the one node that holds the run.
/// </para>
/// </summary>
public sealed class PostgresAuditLog(PostgresDatabase database) : IAuditLog
{
    private const string InsertSql = """
        INSERT INTO audit_log (time, action, outcome, secret, version, principal, workflow_id, task_id, task_reference_name, detail, secrets, secret_names)
        VALUES (@time, @action, @outcome, @secret, @version, @principal, @workflow, @task, @reference, @detail, @secrets, @names);
        """;

    public async Task AppendAsync(AuditEvent auditEvent, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        await using var connection = await database.OpenAsync(ct);
        await InsertAsync(connection, null, auditEvent, ct);
    }

    public async Task AppendResolutionsAsync(IReadOnlyList<SecretResolution> resolutions, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(resolutions);
        if (resolutions.Count == 0) return;
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await InsertAsync(connection, transaction, resolutions, ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>Appends one event inside <paramref name="transaction"/> (null: a transaction of its own).</summary>
    internal static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, AuditEvent e, CancellationToken ct) =>
        await ExecuteAsync(connection, transaction, InsertSql, ct,
            Long("time", e.Time), Text("action", e.Action), Text("outcome", e.Outcome), Text("secret", e.Secret), Int("version", e.Version),
            Text("principal", e.Principal), Text("workflow", e.WorkflowId), Text("task", e.TaskId), Text("reference", e.TaskReferenceName),
            Text("detail", e.Detail), Json("secrets", null), Texts("names", e.Secret is null ? [] : [e.Secret]));

    /// <summary>
    /// Appends resolutions inside <paramref name="transaction"/>: a run's commit carrying its hand-offs calls this, so the
    /// run's state and the audit of what it was given commit together.
    /// </summary>
    internal static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<SecretResolution> resolutions, CancellationToken ct)
    {
        if (resolutions.Count == 0) return;
        await using var batch = new NpgsqlBatch(connection, transaction);
        Append(batch, resolutions);
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Adds the inserts of <paramref name="resolutions"/> to a batch (a run's change carrying its hand-offs).</summary>
    internal static void Append(NpgsqlBatch batch, IReadOnlyList<SecretResolution> resolutions)
    {
        foreach (var r in resolutions)
        {
            var command = new NpgsqlBatchCommand(InsertSql);
            command.Parameters.AddRange(new[]
            {
                Long("time", r.Time), Text("action", AuditActions.Resolve), Text("outcome", "ok"), Text("secret", null), Int("version", null),
                Text("principal", r.Principal), Text("workflow", r.WorkflowId), Text("task", r.TaskId), Text("reference", r.TaskReferenceName),
                Text("detail", null), Json("secrets", EncodeSecrets(r.Secrets)), Texts("names", [.. r.Secrets.Select(s => s.Name).Distinct(StringComparer.Ordinal)]),
            });
            batch.BatchCommands.Add(command);
        }
    }

    /// <summary>A resolution's secrets as stored: one <c>[name, version, fingerprint]</c> array per secret, in the order given.</summary>
    internal static string EncodeSecrets(IReadOnlyList<ResolvedSecret> secrets)
    {
        using var buffer = new MemoryStream();
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
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads what <see cref="EncodeSecrets"/> wrote.</summary>
    internal static List<ResolvedSecret> DecodeSecrets(string stored)
    {
        using var document = JsonDocument.Parse(stored);
        return [.. document.RootElement.EnumerateArray().Select(s => new ResolvedSecret(s[0].GetString()!, s[1].GetInt32(), s[2].GetString()!))];
    }

    public async Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Max(0, query.Limit);
        if (limit == 0) return [];
        var sql = new StringBuilder($"""
            SELECT {AuditRows.Columns}, secrets::text FROM audit_log WHERE true
            """);
        if (query.Secret is not null) sql.Append(" AND secret_names @> ARRAY[@secret]");
        if (query.WorkflowId is not null) sql.Append(" AND workflow_id = @workflow");
        if (query.Principal is not null) sql.Append(" AND principal = @principal");
        if (query.Action is not null) sql.Append(" AND action = @action");
        if (query.From is not null) sql.Append(" AND time >= @from");
        if (query.To is not null) sql.Append(" AND time <= @to");
        // Each row is at least one event, so the rows past the limit could never be among the answer's.
        sql.Append(" ORDER BY time DESC, id DESC LIMIT @limit;");

        await using var connection = await database.OpenAsync(ct);
        await using var command = Create(connection, null, sql.ToString(),
            Text("secret", query.Secret), Text("workflow", query.WorkflowId), Text("principal", query.Principal), Text("action", query.Action),
            Long("from", query.From), Long("to", query.To), Int("limit", limit));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var events = new List<AuditEvent>();
        while (events.Count < limit && await reader.ReadAsync(ct))
        {
            var e = AuditRows.Event(reader);
            if (reader.StringOrNull(11) is not { } secrets)
            {
                events.Add(e);
                continue;
            }
            AuditRows.AddResolved(events, e, DecodeSecrets(secrets), query.Secret);
        }
        if (events.Count > limit) events.RemoveRange(limit, events.Count - limit);
        return events;
    }
}
