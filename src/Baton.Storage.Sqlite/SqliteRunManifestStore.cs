using Baton.Secrets.Audit;
using Baton.Secrets.Store;
using static Baton.Storage.Sqlite.SqliteCommands;

namespace Baton.Storage.Sqlite;

/// <summary>
/// Run manifests in SQLite, read from the audit log: the run's rows that name secrets with a fingerprint (its
/// resolutions, see <see cref="SqliteAuditLog"/>) after its latest <c>manifest-reset</c> event, in append order.
/// Nothing is written for the manifest itself, so a hand-off costs the writer one audit row, not one per secret
/// plus a manifest entry and a task row.
/// </summary>
public sealed class SqliteRunManifestStore(SqliteDatabase database) : IRunManifestStore
{
    public Task<IReadOnlyList<ManifestEntry>> GetAsync(string workflowId, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        // The rows of the steps that hold the run's events (see SqliteAuditLog; a run spans a step or a few), then the
        // events not filed yet.
        using var command = Create(connection, $"""
            SELECT e.action, e.time, e.task_reference_name, e.secrets, e.id FROM audit_steps k
            JOIN audit_log e ON {SqliteAuditLog.InStep("e.id", "k.step")}
            WHERE k.key = 'w:' || $workflow AND e.workflow_id = $workflow AND (e.secrets IS NOT NULL OR e.action = $reset)
            UNION
            SELECT action, time, task_reference_name, secrets, id FROM audit_log
            WHERE id > {SqliteAuditLog.Through} AND workflow_id = $workflow AND (secrets IS NOT NULL OR action = $reset)
            ORDER BY 5;
            """, ("$workflow", workflowId), ("$reset", AuditActions.ManifestReset));
        using var reader = command.ExecuteReader();
        var entries = new List<Entry>();
        while (reader.Read())
        {
            if (reader.GetString(0) == AuditActions.ManifestReset)
            {
                entries.Clear();
                continue;
            }
            var (time, task) = (reader.GetInt64(1), reader.GetStringOrNull(2));
            foreach (var secret in SqliteAuditLog.DecodeSecrets(reader.GetString(3)))
            {
                var entry = entries.Find(e => e.Secret == secret.Name && e.Version == secret.Version);
                if (entry is null) entries.Add(entry = new Entry(secret.Name, secret.Version, secret.Fingerprint, time));
                if (task is not null && !entry.Tasks.Contains(task)) entry.Tasks.Add(task);
            }
        }
        return Task.FromResult<IReadOnlyList<ManifestEntry>>([.. entries.Select(e => new ManifestEntry(e.Secret, e.Version, e.Fingerprint, e.Tasks, e.FirstUsedAt))]);
    }

    public Task ClearAsync(string workflowId, long at, CancellationToken ct = default) =>
        database.WriteAsync(connection => SqliteAuditLog.Insert(database, connection, new AuditEvent
        {
            Time = at,
            Action = AuditActions.ManifestReset,
            Outcome = "ok",
            WorkflowId = workflowId,
            Detail = "the run resolves its secrets afresh",
        }), ct);

    private sealed record Entry(string Secret, int Version, string Fingerprint, long FirstUsedAt)
    {
        public List<string> Tasks { get; } = [];
    }
}
