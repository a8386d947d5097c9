using Baton.Access.Store;
using Microsoft.Data.Sqlite;
using static Baton.Storage.Sqlite.SqliteCommands;

namespace Baton.Storage.Sqlite;

/// <summary>Failed sign-ins in SQLite: one row a failure, so a count is a range read and a record never updates a row.</summary>
public sealed class SqliteSignInFailureStore(SqliteDatabase database) : ISignInFailureStore
{
    public Task RecordAsync(IReadOnlyList<string> keys, long at, long forgetUpTo, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return database.WriteAsync(connection =>
        {
            Execute(connection, "DELETE FROM sign_in_failures WHERE at <= $upTo;", ("$upTo", forgetUpTo));
            foreach (var key in keys) Execute(connection, "INSERT INTO sign_in_failures (key, at) VALUES ($key, $at);", ("$key", key), ("$at", at));
        }, ct);
    }

    public Task<IReadOnlyList<SignInFailures>> CountAsync(IReadOnlyList<string> keys, long since, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var found = new List<SignInFailures>(keys.Count);
        using var connection = database.OpenRead();
        foreach (var key in keys)
        {
            using var command = Create(connection,
                "SELECT count(*), max(at) FROM sign_in_failures WHERE key = $key AND at > $since;", ("$key", key), ("$since", since));
            using var reader = command.ExecuteReader();
            if (reader.Read() && reader.GetInt32(0) > 0) found.Add(new SignInFailures(key, reader.GetInt32(0), reader.GetInt64(1)));
        }
        return Task.FromResult<IReadOnlyList<SignInFailures>>(found);
    }

    public Task ForgetAsync(string key, CancellationToken ct = default) =>
        database.WriteAsync(connection => Execute(connection, "DELETE FROM sign_in_failures WHERE key = $key;", ("$key", key)), ct);
}
