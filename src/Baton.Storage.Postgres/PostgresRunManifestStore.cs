using Baton.Secrets.Audit;
using Baton.Secrets.Store;
using static Baton.Storage.Postgres.PostgresCommands;

namespace Baton.Storage.Postgres;

/// <summary>
/// Run manifests in PostgreSQL, read from the audit log as in SQLite: the run's resolutions after its latest
/// <c>manifest-reset</c> event, in append order. Nothing is written for the manifest itself.
/// </summary>
public sealed class PostgresRunManifestStore(PostgresDatabase database) : IRunManifestStore
{
    public async Task<IReadOnlyList<ManifestEntry>> GetAsync(string workflowId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = Create(connection, null, """
            SELECT action, time, task_reference_name, secrets::text FROM audit_log
            WHERE workflow_id = @workflow AND (secrets IS NOT NULL OR action = @reset) ORDER BY id;
            """, Text("workflow", workflowId), Text("reset", AuditActions.ManifestReset));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var entries = new List<Entry>();
        while (await reader.ReadAsync(ct))
        {
            if (reader.GetString(0) == AuditActions.ManifestReset)
            {
                entries.Clear();
                continue;
            }
            var (time, task) = (reader.GetInt64(1), reader.StringOrNull(2));
            foreach (var secret in PostgresAuditLog.DecodeSecrets(reader.GetString(3)))
            {
                var entry = entries.Find(e => e.Secret == secret.Name && e.Version == secret.Version);
                if (entry is null) entries.Add(entry = new Entry(secret.Name, secret.Version, secret.Fingerprint, time));
                if (task is not null && !entry.Tasks.Contains(task)) entry.Tasks.Add(task);
            }
        }
        return [.. entries.Select(e => new ManifestEntry(e.Secret, e.Version, e.Fingerprint, e.Tasks, e.FirstUsedAt))];
    }

    public async Task ClearAsync(string workflowId, long at, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await PostgresAuditLog.InsertAsync(connection, null, new AuditEvent
        {
            Time = at,
            Action = AuditActions.ManifestReset,
            Outcome = "ok",
            WorkflowId = workflowId,
            Detail = "the run resolves its secrets afresh",
        }, ct);
    }

    private sealed record Entry(string Secret, int Version, string Fingerprint, long FirstUsedAt)
    {
        public List<string> Tasks { get; } = [];
    }
}
