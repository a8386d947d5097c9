using Baton.Secrets.Store;
using static Baton.Storage.Sqlite.SqliteCommands;

namespace Baton.Storage.Sqlite;

/// <summary>
/// Tags of a named thing (a secret, an environment value), kept in a table <c>(name, key, value)</c> beside the
/// table of the things themselves. Setting tags on a name that does not exist does nothing.
/// </summary>
internal sealed class SqliteTags(SqliteDatabase database, string tagTable, string ownerTable)
{
    public Task SetAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct)
    {
        var rows = tags.ToList();
        return database.WriteAsync(connection =>
        {
            foreach (var tag in rows)
            {
                Execute(connection, $"""
                    INSERT INTO {tagTable} (name, key, value) SELECT $name, $key, $value WHERE EXISTS (SELECT 1 FROM {ownerTable} WHERE name = $name)
                    ON CONFLICT (name, key) DO UPDATE SET value = excluded.value;
                    """, ("$name", name), ("$key", tag.Key), ("$value", tag.Value));
            }
        }, ct);
    }

    /// <summary>Removes the tags with these keys, when their values match (a null value matches any).</summary>
    public Task RemoveAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct)
    {
        var rows = tags.ToList();
        return database.WriteAsync(connection =>
        {
            foreach (var tag in rows)
            {
                Execute(connection, $"DELETE FROM {tagTable} WHERE name = $name AND key = $key AND ($value IS NULL OR value = $value);",
                    ("$name", name), ("$key", tag.Key), ("$value", tag.Value));
            }
        }, ct);
    }
}
