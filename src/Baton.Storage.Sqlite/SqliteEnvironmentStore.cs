using Baton.Engine.Persistence;
using Baton.Secrets.Store;
using Microsoft.Data.Sqlite;
using static Baton.Storage.Sqlite.SqliteCommands;

namespace Baton.Storage.Sqlite;

/// <summary>Environment values in SQLite, with their tags in <c>environment_tags</c>.</summary>
public sealed class SqliteEnvironmentStore(SqliteDatabase database) : IEnvironmentStore
{
    private readonly SqliteTags _tags = new(database, "environment_tags", "environment_values");

    public Task<EnvironmentValue?> GetAsync(string name, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var transaction = connection.BeginTransaction(deferred: true);
        var values = Read(connection, " WHERE v.name = $name", name);
        return Task.FromResult(values.FirstOrDefault());
    }

    public Task<IReadOnlyList<EnvironmentValue>> ListAsync(CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var transaction = connection.BeginTransaction(deferred: true);
        return Task.FromResult<IReadOnlyList<EnvironmentValue>>(Read(connection, "", null));
    }

    public Task PutAsync(string name, string value, CancellationToken ct = default) =>
        database.WriteAsync(connection => Execute(connection,
            "INSERT INTO environment_values (name, value) VALUES ($name, $value) ON CONFLICT (name) DO UPDATE SET value = excluded.value;",
            ("$name", name), ("$value", value)), ct);

    public async Task<string?> DeleteAsync(string name, CancellationToken ct = default)
    {
        string? deleted = null;
        await database.WriteAsync(connection =>
        {
            using (var command = Create(connection, "SELECT value FROM environment_values WHERE name = $name;", ("$name", name)))
            {
                deleted = command.ExecuteScalar() as string;
            }
            Execute(connection, """
                DELETE FROM environment_tags WHERE name = $name;
                DELETE FROM environment_values WHERE name = $name;
                """, ("$name", name));
        }, ct);
        return deleted;
    }

    public Task SetTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct = default) => _tags.SetAsync(name, tags, ct);

    public Task RemoveTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct = default) => _tags.RemoveAsync(name, tags, ct);

    private static List<EnvironmentValue> Read(SqliteConnection connection, string filter, string? name)
    {
        using var command = Create(connection, $"""
            SELECT v.name, v.value, t.key, t.value FROM environment_values v LEFT JOIN environment_tags t ON t.name = v.name{filter}
            ORDER BY v.name, t.key;
            """, ("$name", name));
        using var reader = command.ExecuteReader();
        var values = new List<EnvironmentValue>();
        while (reader.Read())
        {
            EnvironmentValueRows.Add(values, reader.GetString(0), reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
        }
        return values;
    }
}
