using Microsoft.Data.Sqlite;
using Baton.Secrets.Store;
using static Baton.Storage.Sqlite.SqliteCommands;

namespace Baton.Storage.Sqlite;

/// <summary>
/// Run manifests in SQLite: one <c>run_secrets</c> row per (run, secret, version), holding the fingerprint and time
/// of first use, and one <c>run_secret_tasks</c> row per task that used it. Row order is first-use order.
/// </summary>
public sealed class SqliteRunManifestStore(SqliteDatabase database) : IRunManifestStore
{
    public Task RecordAsync(string workflowId, string secret, int version, string fingerprint, string taskReferenceName, long at, CancellationToken ct = default) =>
        RecordAllAsync([new ManifestRecord(workflowId, secret, version, fingerprint, taskReferenceName, at)], ct);

    public Task RecordAllAsync(IReadOnlyList<ManifestRecord> records, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var all = records.ToList();
        return database.WriteAsync(connection => Insert(connection, all), ct);
    }

    /// <summary>Records inside a write already under way (a run's commit carrying the manifest of its hand-offs).</summary>
    internal static void Insert(SqliteConnection connection, IReadOnlyList<ManifestRecord> all)
    {
        // An entry known to be stored needs no second attempt (each one is an index probe on the writer).
        var entries = all.Any(r => r.EntryKnown) ? [.. all.Where(r => !r.EntryKnown)] : all;
        InsertRows(connection, "INSERT INTO run_secrets (workflow_id, secret, version, fingerprint, first_used_at)",
            "ON CONFLICT (workflow_id, secret, version) DO NOTHING",
            entries, r => [r.WorkflowId, r.Secret, r.Version, r.Fingerprint, r.At]);
        InsertRows(connection, "INSERT INTO run_secret_tasks (workflow_id, secret, version, task_reference_name)",
            "ON CONFLICT (workflow_id, secret, version, task_reference_name) DO NOTHING",
            all, r => [r.WorkflowId, r.Secret, r.Version, r.TaskReferenceName]);
    }

    public Task<IReadOnlyList<ManifestEntry>> GetAsync(string workflowId, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var transaction = connection.BeginTransaction(deferred: true);
        var tasks = new List<(string Secret, int Version, string Task)>();
        using (var command = Create(connection,
                   "SELECT secret, version, task_reference_name FROM run_secret_tasks WHERE workflow_id = $workflow ORDER BY rowid;",
                   ("$workflow", workflowId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) tasks.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2)));
        }
        var byEntry = tasks.ToLookup(t => (t.Secret, t.Version), t => t.Task);

        var entries = new List<ManifestEntry>();
        using (var command = Create(connection,
                   "SELECT secret, version, fingerprint, first_used_at FROM run_secrets WHERE workflow_id = $workflow ORDER BY first_used_at, rowid;",
                   ("$workflow", workflowId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var (secret, version) = (reader.GetString(0), reader.GetInt32(1));
                entries.Add(new ManifestEntry(secret, version, reader.GetString(2), byEntry[(secret, version)].ToList(), reader.GetInt64(3)));
            }
        }
        return Task.FromResult<IReadOnlyList<ManifestEntry>>(entries);
    }

    public Task ClearAsync(string workflowId, CancellationToken ct = default) =>
        database.WriteAsync(connection => Execute(connection, """
            DELETE FROM run_secret_tasks WHERE workflow_id = $workflow;
            DELETE FROM run_secrets WHERE workflow_id = $workflow;
            """, ("$workflow", workflowId)), ct);
}
