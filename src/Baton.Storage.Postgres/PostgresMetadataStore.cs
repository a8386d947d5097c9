using Baton.Core.Definitions;
using Baton.Core.Json;
using Baton.Engine.Persistence;
using Npgsql;
using static Baton.Storage.Postgres.PostgresCommands;

namespace Baton.Storage.Postgres;

/// <summary>Workflow and task definitions in PostgreSQL, each stored as its JSON as written (as in SQLite).</summary>
public sealed class PostgresMetadataStore(PostgresDatabase database) : IMetadataStore
{
    public async Task UpsertTaskDefsAsync(IReadOnlyList<TaskDef> defs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(defs);
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var def in defs)
        {
            await ExecuteAsync(connection, transaction,
                "INSERT INTO task_defs (name, json) VALUES (@name, @json) ON CONFLICT (name) DO UPDATE SET json = excluded.json;",
                ct, Text("name", def.Name), Text("json", BatonJson.Serialize(def)));
        }
        await transaction.CommitAsync(ct);
    }

    public async Task<TaskDef?> GetTaskDefAsync(string name, CancellationToken ct = default) =>
        (await ReadAllAsync<TaskDef>("SELECT json FROM task_defs WHERE name = @name;", ct, Text("name", name))).FirstOrDefault();

    public async Task<IReadOnlyList<TaskDef>> ListTaskDefsAsync(CancellationToken ct = default) =>
        await ReadAllAsync<TaskDef>("SELECT json FROM task_defs ORDER BY name COLLATE \"C\";", ct);

    public async Task<bool> DeleteTaskDefAsync(string name, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await ExecuteAsync(connection, null, "DELETE FROM task_defs WHERE name = @name;", ct, Text("name", name)) > 0;
    }

    public async Task<bool> SaveWorkflowDefAsync(WorkflowDef def, bool overwrite, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(def);
        await using var connection = await database.OpenAsync(ct);
        return await ExecuteAsync(connection, null, overwrite
                ? "INSERT INTO workflow_defs (name, version, json) VALUES (@name, @version, @json) ON CONFLICT (name, version) DO UPDATE SET json = excluded.json;"
                : "INSERT INTO workflow_defs (name, version, json) VALUES (@name, @version, @json) ON CONFLICT (name, version) DO NOTHING;",
            ct, Text("name", def.Name), Int("version", def.Version), Text("json", BatonJson.Serialize(def))) > 0;
    }

    public async Task<WorkflowDef?> GetWorkflowDefAsync(string name, int? version, CancellationToken ct = default) =>
        (await ReadAllAsync<WorkflowDef>(version is null
            ? "SELECT json FROM workflow_defs WHERE name = @name ORDER BY version DESC LIMIT 1;"
            : "SELECT json FROM workflow_defs WHERE name = @name AND version = @version;", ct, Text("name", name), Int("version", version))).FirstOrDefault();

    public async Task<IReadOnlyList<WorkflowDef>> ListWorkflowDefsAsync(CancellationToken ct = default) =>
        await ReadAllAsync<WorkflowDef>("SELECT json FROM workflow_defs ORDER BY name COLLATE \"C\", version;", ct);

    public async Task<bool> DeleteWorkflowDefAsync(string name, int version, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await ExecuteAsync(connection, null, "DELETE FROM workflow_defs WHERE name = @name AND version = @version;",
            ct, Text("name", name), Int("version", version)) > 0;
    }

    private async Task<List<T>> ReadAllAsync<T>(string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = Create(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            if (BatonJson.Deserialize<T>(reader.GetString(0)) is { } item) list.Add(item);
        }
        return list;
    }
}
