using Baton.Secrets.Store;
using Microsoft.Data.Sqlite;
using static Baton.Storage.Sqlite.SqliteCommands;

namespace Baton.Storage.Sqlite;

/// <summary>
/// Secrets in SQLite: metadata in <c>secrets</c>, ciphertext in <c>secret_versions</c>. A destroyed version keeps
/// its row (so its number is never reused) but its ciphertext is set to NULL, secure_delete zeroes the old bytes, and
/// a checkpoint right after removes the old page images from the WAL (the same after a purge, and after the keyring
/// is replaced: an old wrapped keyring would open the data keys to the old master key).
/// </summary>
public sealed class SqliteSecretRepository(SqliteDatabase database) : ISecretRepository
{
    private readonly SqliteTags _tags = new(database, "secret_tags", "secrets");

    private const string SecretColumns = SecretRows.SecretColumns;

    private const string VersionColumns = SecretRows.VersionColumns;

    public Task<byte[]?> LoadKeyringAsync(CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var command = Create(connection, "SELECT wrapped FROM secret_keyring WHERE id = 1;");
        return Task.FromResult(command.ExecuteScalar() as byte[]);
    }

    public async Task<bool> SaveKeyringAsync(byte[] wrapped, byte[] expected, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        ArgumentNullException.ThrowIfNull(expected);
        var copy = wrapped.ToArray();
        var was = expected.ToArray();
        var saved = false;
        await database.WriteAsync(connection => saved = Execute(connection,
            "UPDATE secret_keyring SET wrapped = $wrapped WHERE id = 1 AND wrapped = $expected;", ("$wrapped", copy), ("$expected", was)) == 1, ct);
        if (saved) await database.CheckpointAsync(ct);
        return saved;
    }

    public async Task<bool> CreateKeyringAsync(byte[] wrapped, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        var copy = wrapped.ToArray();
        var created = false;
        await database.WriteAsync(connection => created = Execute(connection,
            "INSERT INTO secret_keyring (id, wrapped) VALUES (1, $wrapped) ON CONFLICT (id) DO NOTHING;", ("$wrapped", copy)) == 1, ct);
        return created;
    }

    public Task<SecretRecord?> GetAsync(string name, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var transaction = connection.BeginTransaction(deferred: true);
        var records = ReadSecrets(connection, $"SELECT {SecretColumns} FROM secrets WHERE name = $name;", ("$name", name));
        if (records.Count == 0) return Task.FromResult<SecretRecord?>(null);
        var tags = ReadTags(connection, "SELECT name, key, value FROM secret_tags WHERE name = $name ORDER BY key;", ("$name", name));
        return Task.FromResult<SecretRecord?>(WithTags(records[0], tags));
    }

    public Task<IReadOnlyList<SecretRecord>> ListAsync(bool includeDeleted, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var transaction = connection.BeginTransaction(deferred: true);
        var filter = includeDeleted ? "" : " WHERE deleted_at IS NULL";
        var records = ReadSecrets(connection, $"SELECT {SecretColumns} FROM secrets{filter} ORDER BY name;");
        var tags = ReadTags(connection, "SELECT name, key, value FROM secret_tags ORDER BY name, key;");
        return Task.FromResult<IReadOnlyList<SecretRecord>>(records.Select(r => WithTags(r, tags)).ToList());
    }

    public async Task<SecretWriteOutcome> WriteVersionAsync(SecretWrite write, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentOutOfRangeException.ThrowIfLessThan(write.KeepVersions, 1);
        var ciphertext = write.Ciphertext.ToArray();
        var (outcome, erased) = (SecretWriteOutcome.VersionConflict, false);
        await database.WriteAsync(connection => (outcome, erased) = Write(connection, write, ciphertext), ct);
        if (erased) await database.CheckpointAsync(ct);
        return outcome;
    }

    /// <summary>Writes the version; also says whether older versions beyond the kept number were erased.</summary>
    private static (SecretWriteOutcome Outcome, bool Erased) Write(SqliteConnection connection, SecretWrite write, byte[] ciphertext)
    {
        bool exists, live;
        long current;
        using (var read = Create(connection, "SELECT current_version, deleted_at IS NULL FROM secrets WHERE name = $name;", ("$name", write.Name)))
        using (var reader = read.ExecuteReader())
        {
            exists = reader.Read();
            live = exists && reader.GetBoolean(1);
            current = exists ? reader.GetInt64(0) : 0;
        }
        // Check-and-set against the current version; a deleted secret, or one whose versions were all destroyed, has
        // none (0), so "expect 0" means "nothing readable is there".
        if (write.ExpectedVersion is { } expected && expected != (live ? current : 0))
        {
            return (SecretWriteOutcome.VersionConflict, false);
        }
        if (Scalar(connection, "SELECT 1 FROM secret_versions WHERE name = $name AND version = $version;",
                ("$name", write.Name), ("$version", write.Version)) is not null)
        {
            return (SecretWriteOutcome.VersionConflict, false);
        }

        Execute(connection, exists
                ? """
                  UPDATE secrets SET description = COALESCE($description, description), current_version = $version,
                      updated_by = $principal, updated_at = $at, deleted_at = NULL, deleted_by = NULL
                  WHERE name = $name;
                  """
                : """
                  INSERT INTO secrets (name, description, current_version, created_by, created_at, updated_by, updated_at)
                  VALUES ($name, $description, $version, $principal, $at, $principal, $at);
                  """,
            ("$name", write.Name), ("$description", write.Description), ("$version", write.Version), ("$principal", write.Principal), ("$at", write.At));
        Execute(connection, """
            INSERT INTO secret_versions (name, version, kind, ciphertext, created_by, created_at)
            VALUES ($name, $version, $kind, $ciphertext, $principal, $at);
            """,
            ("$name", write.Name), ("$version", write.Version), ("$kind", write.Kind), ("$ciphertext", ciphertext),
            ("$principal", write.Principal), ("$at", write.At));
        var erased = Execute(connection, """
            UPDATE secret_versions SET ciphertext = NULL, destroyed_at = $at
            WHERE name = $name AND ciphertext IS NOT NULL AND version <> $version AND version NOT IN (
                SELECT version FROM secret_versions WHERE name = $name AND ciphertext IS NOT NULL ORDER BY version DESC LIMIT $keep);
            """,
            ("$name", write.Name), ("$version", write.Version), ("$at", write.At), ("$keep", write.KeepVersions));
        return (SecretWriteOutcome.Written, erased > 0);
    }

    public Task<SecretVersionRecord?> GetVersionAsync(string name, int version, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        var versions = ReadVersions(connection, $"SELECT {VersionColumns} FROM secret_versions WHERE name = $name AND version = $version;",
            ("$name", name), ("$version", version));
        return Task.FromResult(versions.FirstOrDefault());
    }

    public Task<IReadOnlyList<SecretVersionRecord>> ListVersionsAsync(string name, CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        return Task.FromResult<IReadOnlyList<SecretVersionRecord>>(ReadVersions(connection,
            $"SELECT {VersionColumns} FROM secret_versions WHERE name = $name ORDER BY version DESC;", ("$name", name)));
    }

    public Task<IReadOnlyList<SecretVersionRecord>> ListLiveVersionsAsync(CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        return Task.FromResult<IReadOnlyList<SecretVersionRecord>>(ReadVersions(connection,
            $"SELECT {VersionColumns} FROM secret_versions WHERE ciphertext IS NOT NULL ORDER BY name, version DESC;"));
    }

    public async Task<bool> MarkDeletedAsync(string name, string? principal, long at, CancellationToken ct = default)
    {
        var changed = 0;
        await database.WriteAsync(connection => changed = Execute(connection,
            "UPDATE secrets SET deleted_at = $at, deleted_by = $principal WHERE name = $name AND deleted_at IS NULL;",
            ("$name", name), ("$principal", principal), ("$at", at)), ct);
        return changed > 0;
    }

    public async Task<bool> RestoreAsync(string name, CancellationToken ct = default)
    {
        var changed = 0;
        await database.WriteAsync(connection => changed = Execute(connection,
            "UPDATE secrets SET deleted_at = NULL, deleted_by = NULL WHERE name = $name AND deleted_at IS NOT NULL;",
            ("$name", name)), ct);
        return changed > 0;
    }

    public async Task<IReadOnlyList<string>> PurgeDeletedAsync(long deletedBefore, CancellationToken ct = default)
    {
        var purged = new List<string>();
        await database.WriteAsync(connection =>
        {
            purged.Clear();
            using (var select = Create(connection, "SELECT name FROM secrets WHERE deleted_at < $before ORDER BY name;", ("$before", deletedBefore)))
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read()) purged.Add(reader.GetString(0));
            }
            Execute(connection, """
                DELETE FROM secret_tags WHERE name IN (SELECT name FROM secrets WHERE deleted_at < $before);
                DELETE FROM secret_versions WHERE name IN (SELECT name FROM secrets WHERE deleted_at < $before);
                DELETE FROM secrets WHERE deleted_at < $before;
                """, ("$before", deletedBefore));
        }, ct);
        if (purged.Count > 0) await database.CheckpointAsync(ct);
        return purged;
    }

    public async Task<bool> DestroyVersionAsync(string name, int version, long at, CancellationToken ct = default)
    {
        var destroyed = false;
        await database.WriteAsync(connection =>
        {
            destroyed = Execute(connection,
                "UPDATE secret_versions SET ciphertext = NULL, destroyed_at = $at WHERE name = $name AND version = $version AND ciphertext IS NOT NULL;",
                ("$name", name), ("$version", version), ("$at", at)) > 0;
            if (!destroyed) return;
            Execute(connection, """
                UPDATE secrets SET current_version = COALESCE(
                    (SELECT MAX(version) FROM secret_versions WHERE name = $name AND ciphertext IS NOT NULL), 0)
                WHERE name = $name AND current_version = $version;
                """, ("$name", name), ("$version", version));
        }, ct);
        if (destroyed) await database.CheckpointAsync(ct);
        return destroyed;
    }

    public Task SetTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct = default) => _tags.SetAsync(name, tags, ct);

    public Task RemoveTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct = default) => _tags.RemoveAsync(name, tags, ct);

    public Task TouchLastUsedAsync(string name, long at, CancellationToken ct = default) =>
        database.WriteAsync(connection => Execute(connection,
            "UPDATE secrets SET last_used_at = MAX(COALESCE(last_used_at, $at), $at) WHERE name = $name;",
            ("$name", name), ("$at", at)), ct);

    public async Task<bool> SetDescriptionAsync(string name, string? description, string? principal, long at, CancellationToken ct = default)
    {
        var changed = 0;
        await database.WriteAsync(connection =>
        {
            using var command = Create(connection,
                "UPDATE secrets SET description = $description, updated_by = $by, updated_at = $at WHERE name = $name AND deleted_at IS NULL;",
                ("$name", name), ("$description", description), ("$by", principal), ("$at", at));
            changed = command.ExecuteNonQuery();
        }, ct);
        return changed == 1;
    }

    private static List<SecretRecord> ReadSecrets(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Create(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var records = new List<SecretRecord>();
        while (reader.Read()) records.Add(SecretRows.Secret(reader));
        return records;
    }

    private static ILookup<string, SecretTag> ReadTags(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Create(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<(string Name, SecretTag Tag)>();
        while (reader.Read()) rows.Add((reader.GetString(0), new SecretTag(reader.GetString(1), reader.GetString(2))));
        return rows.ToLookup(r => r.Name, r => r.Tag, StringComparer.Ordinal);
    }

    private static SecretRecord WithTags(SecretRecord record, ILookup<string, SecretTag> tags) => record with { Tags = tags[record.Name].ToList() };

    private static List<SecretVersionRecord> ReadVersions(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Create(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var versions = new List<SecretVersionRecord>();
        while (reader.Read()) versions.Add(SecretRows.Version(reader));
        return versions;
    }
}
