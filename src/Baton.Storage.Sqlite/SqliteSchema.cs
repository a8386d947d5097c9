using Microsoft.Data.Sqlite;

namespace Baton.Storage.Sqlite;

/// <summary>Schema migrations, applied in order and recorded in <c>PRAGMA user_version</c>.</summary>
internal static class SqliteSchema
{
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
    ];

    public static void Migrate(SqliteConnection connection)
    {
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version;";
        var current = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Migrations.Length)
        {
            throw new InvalidOperationException(
                $"The database was written by a newer Baton (schema {current}; this one knows up to {Migrations.Length}). Use that version or restore a backup.");
        }
        for (var version = current; version < Migrations.Length; version++)
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
