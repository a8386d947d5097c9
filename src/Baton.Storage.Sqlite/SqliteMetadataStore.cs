using Baton.Core.Definitions;
using Baton.Core.Json;
using Baton.Engine.Persistence;
using Microsoft.Data.Sqlite;

namespace Baton.Storage.Sqlite;

public sealed class SqliteMetadataStore(SqliteDatabase database) : IMetadataStore
{
    public Task UpsertTaskDefsAsync(IReadOnlyList<TaskDef> defs, CancellationToken ct = default)
    {
        var rows = defs.Select(d => (d.Name, Json: BatonJson.Serialize(d))).ToList();
        return database.WriteAsync(connection =>
        {
            foreach (var (name, json) in rows)
            {
                using var command = connection.CreateCommand();
                command.CommandText = "INSERT INTO task_defs (name, json) VALUES ($name, $json) ON CONFLICT (name) DO UPDATE SET json = excluded.json;";
                command.Parameters.AddWithValue("$name", name);
                command.Parameters.AddWithValue("$json", json);
                command.ExecuteNonQuery();
            }
        }, ct);
    }

    public Task<TaskDef?> GetTaskDefAsync(string name, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT json FROM task_defs WHERE name = $name;";
        command.Parameters.AddWithValue("$name", name);
        return Task.FromResult(command.ExecuteScalar() is string json ? BatonJson.Deserialize<TaskDef>(json) : null);
    }

    public Task<IReadOnlyList<TaskDef>> ListTaskDefsAsync(CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT json FROM task_defs ORDER BY name;";
        return Task.FromResult<IReadOnlyList<TaskDef>>(ReadAll<TaskDef>(command));
    }

    public async Task<bool> DeleteTaskDefAsync(string name, CancellationToken ct = default)
    {
        var deleted = false;
        await database.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM task_defs WHERE name = $name;";
            command.Parameters.AddWithValue("$name", name);
            deleted = command.ExecuteNonQuery() > 0;
        }, ct);
        return deleted;
    }

    public async Task<bool> SaveWorkflowDefAsync(WorkflowDef def, bool overwrite, CancellationToken ct = default)
    {
        var json = BatonJson.Serialize(def);
        var written = false;
        await database.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = overwrite
                ? "INSERT INTO workflow_defs (name, version, json) VALUES ($name, $version, $json) ON CONFLICT (name, version) DO UPDATE SET json = excluded.json;"
                : "INSERT INTO workflow_defs (name, version, json) VALUES ($name, $version, $json) ON CONFLICT (name, version) DO NOTHING;";
            command.Parameters.AddWithValue("$name", def.Name);
            command.Parameters.AddWithValue("$version", def.Version);
            command.Parameters.AddWithValue("$json", json);
            written = command.ExecuteNonQuery() > 0;
        }, ct);
        return written;
    }

    public Task<WorkflowDef?> GetWorkflowDefAsync(string name, int? version, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = version is null
            ? "SELECT json FROM workflow_defs WHERE name = $name ORDER BY version DESC LIMIT 1;"
            : "SELECT json FROM workflow_defs WHERE name = $name AND version = $version;";
        command.Parameters.AddWithValue("$name", name);
        if (version is not null) command.Parameters.AddWithValue("$version", version.Value);
        return Task.FromResult(command.ExecuteScalar() is string json ? BatonJson.Deserialize<WorkflowDef>(json) : null);
    }

    public Task<IReadOnlyList<WorkflowDef>> ListWorkflowDefsAsync(CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT json FROM workflow_defs ORDER BY name, version;";
        return Task.FromResult<IReadOnlyList<WorkflowDef>>(ReadAll<WorkflowDef>(command));
    }

    public async Task<bool> DeleteWorkflowDefAsync(string name, int version, CancellationToken ct = default)
    {
        var deleted = false;
        await database.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM workflow_defs WHERE name = $name AND version = $version;";
            command.Parameters.AddWithValue("$name", name);
            command.Parameters.AddWithValue("$version", version);
            deleted = command.ExecuteNonQuery() > 0;
        }, ct);
        return deleted;
    }

    private static List<T> ReadAll<T>(SqliteCommand command)
    {
        var list = new List<T>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (BatonJson.Deserialize<T>(reader.GetString(0)) is { } item) list.Add(item);
        }
        return list;
    }
}
