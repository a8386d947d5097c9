using Baton.Access.Store;
using Npgsql;

namespace Baton.Storage.Postgres;

/// <summary>Failed sign-ins in PostgreSQL, one row a failure: nodes recording at once only insert, so none waits for another.</summary>
public sealed class PostgresSignInFailureStore(PostgresDatabase database) : ISignInFailureStore
{
    public async Task RecordAsync(IReadOnlyList<string> keys, long at, long forgetUpTo, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        await using var connection = await database.OpenAsync(ct);
        await using var command = new NpgsqlCommand("""
            DELETE FROM sign_in_failures WHERE at <= @upTo;
            INSERT INTO sign_in_failures (key, at) SELECT unnest(@keys), @at;
            """, connection);
        command.Parameters.AddWithValue("upTo", forgetUpTo);
        command.Parameters.AddWithValue("keys", keys.ToArray());
        command.Parameters.AddWithValue("at", at);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<SignInFailures>> CountAsync(IReadOnlyList<string> keys, long since, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        await using var connection = await database.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT key, count(*), max(at) FROM sign_in_failures WHERE key = ANY(@keys) AND at > @since GROUP BY key;", connection);
        command.Parameters.AddWithValue("keys", keys.ToArray());
        command.Parameters.AddWithValue("since", since);
        var found = new List<SignInFailures>(keys.Count);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) found.Add(new SignInFailures(reader.GetString(0), (int)reader.GetInt64(1), reader.GetInt64(2)));
        return found;
    }

    public async Task ForgetAsync(string key, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = new NpgsqlCommand("DELETE FROM sign_in_failures WHERE key = @key;", connection);
        command.Parameters.AddWithValue("key", key);
        await command.ExecuteNonQueryAsync(ct);
    }
}
