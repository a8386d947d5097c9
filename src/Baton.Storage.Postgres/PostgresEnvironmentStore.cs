using Baton.Engine.Persistence;
using Baton.Secrets.Store;
using Npgsql;

namespace Baton.Storage.Postgres;

/// <summary>Environment values in PostgreSQL, with their tags in <c>environment_tags</c> (deleted with their value).</summary>
public sealed class PostgresEnvironmentStore(PostgresDatabase database) : IEnvironmentStore
{
    public async Task<EnvironmentValue?> GetAsync(string name, CancellationToken ct = default) =>
        (await ReadAsync(" WHERE v.name = @name", name, ct)).FirstOrDefault();

    public async Task<IReadOnlyList<EnvironmentValue>> ListAsync(CancellationToken ct = default) =>
        await ReadAsync("", null, ct);

    public async Task PutAsync(string name, string value, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "INSERT INTO environment_values (name, value) VALUES (@name, @value) ON CONFLICT (name) DO UPDATE SET value = excluded.value;",
            connection);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("value", value);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<string?> DeleteAsync(string name, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = new NpgsqlCommand("DELETE FROM environment_values WHERE name = @name RETURNING value;", connection);
        command.Parameters.AddWithValue("name", name);
        return await command.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>Sets each tag on <paramref name="name"/>; on a name that does not exist it does nothing.</summary>
    public async Task SetTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var tag in tags)
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO environment_tags (name, key, value)
                SELECT @name, @key, @value WHERE EXISTS (SELECT 1 FROM environment_values WHERE name = @name)
                ON CONFLICT (name, key) DO UPDATE SET value = excluded.value;
                """, connection, transaction);
            command.Parameters.AddWithValue("name", name);
            command.Parameters.AddWithValue("key", tag.Key);
            command.Parameters.AddWithValue("value", tag.Value);
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>Removes the tags with these keys, when their values match (a null value matches any).</summary>
    public async Task RemoveTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var tag in tags)
        {
            await using var command = new NpgsqlCommand(
                "DELETE FROM environment_tags WHERE name = @name AND key = @key AND (@value::text IS NULL OR value = @value::text);",
                connection, transaction);
            command.Parameters.AddWithValue("name", name);
            command.Parameters.AddWithValue("key", tag.Key);
            command.Parameters.Add(new NpgsqlParameter("value", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)tag.Value ?? DBNull.Value });
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    private async Task<List<EnvironmentValue>> ReadAsync(string filter, string? name, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"""
            SELECT v.name, v.value, t.key, t.value FROM environment_values v LEFT JOIN environment_tags t ON t.name = v.name{filter}
            ORDER BY v.name COLLATE "C", t.key COLLATE "C";
            """, connection);
        if (name is not null) command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var values = new List<EnvironmentValue>();
        while (await reader.ReadAsync(ct))
        {
            EnvironmentValueRows.Add(values, reader.GetString(0), reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
        }
        return values;
    }
}
