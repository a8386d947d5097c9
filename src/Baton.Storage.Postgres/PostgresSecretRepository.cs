using Baton.Secrets.Store;
using Npgsql;
using static Baton.Storage.Postgres.PostgresCommands;

namespace Baton.Storage.Postgres;

/// <summary>
/// Secrets in PostgreSQL: metadata in <c>secrets</c>, ciphertext in <c>secret_versions</c>, as in SQLite. A write of a
/// version locks its secret's row, so two nodes writing the same secret at once are serialized and the loser of a
/// check-and-set sees the winner's version. A destroyed version keeps its row with its ciphertext set to NULL; the
/// old row image stays in the table's file until vacuumed, so every erasure (a destroyed or trimmed version, a purge,
/// a replaced keyring) ends with <c>VACUUM FULL</c> of that table, which rewrites it into a new file without them.
/// What it cannot reach, PostgreSQL's write-ahead log and backups, is said in docs/security.md.
/// </summary>
public sealed class PostgresSecretRepository(PostgresDatabase database) : ISecretRepository
{
    private const string SecretColumns = SecretRows.SecretColumns;

    private const string VersionColumns = SecretRows.VersionColumns;

    public async Task<byte[]?> LoadKeyringAsync(CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = Create(connection, null, "SELECT wrapped FROM secret_keyring WHERE id = 1;");
        return await command.ExecuteScalarAsync(ct) as byte[];
    }

    public async Task<bool> SaveKeyringAsync(byte[] wrapped, byte[] expected, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        ArgumentNullException.ThrowIfNull(expected);
        await using var connection = await database.OpenAsync(ct);
        var saved = await ExecuteAsync(connection, null,
            "UPDATE secret_keyring SET wrapped = @wrapped WHERE id = 1 AND wrapped = @expected;",
            ct, Bytes("wrapped", wrapped.ToArray()), Bytes("expected", expected.ToArray())) == 1;
        if (saved) await VacuumAsync(connection, "secret_keyring", ct);
        return saved;
    }

    public async Task<bool> CreateKeyringAsync(byte[] wrapped, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        await using var connection = await database.OpenAsync(ct);
        return await ExecuteAsync(connection, null, "INSERT INTO secret_keyring (id, wrapped) VALUES (1, @wrapped) ON CONFLICT (id) DO NOTHING;",
            ct, Bytes("wrapped", wrapped.ToArray())) == 1;
    }

    public async Task<SecretRecord?> GetAsync(string name, CancellationToken ct = default) =>
        (await ReadSecretsAsync(name, includeDeleted: true, ct)).FirstOrDefault();

    public async Task<IReadOnlyList<SecretRecord>> ListAsync(bool includeDeleted, CancellationToken ct = default) =>
        await ReadSecretsAsync(null, includeDeleted, ct);

    public async Task<SecretWriteOutcome> WriteVersionAsync(SecretWrite write, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentOutOfRangeException.ThrowIfLessThan(write.KeepVersions, 1);
        await using var connection = await database.OpenAsync(ct);
        bool erased;
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            if (await WriteAsync(connection, transaction, write, ct) is not { } written)
            {
                await transaction.RollbackAsync(ct);
                return SecretWriteOutcome.VersionConflict;
            }
            erased = written;
            await transaction.CommitAsync(ct);
        }
        if (erased) await VacuumAsync(connection, "secret_versions", ct);
        return SecretWriteOutcome.Written;
    }

    /// <returns>null on a conflict (the caller rolls back); else whether versions beyond the kept number were erased.</returns>
    private static async Task<bool?> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, SecretWrite write, CancellationToken ct)
    {
        bool exists, live;
        long current;
        await using (var read = Create(connection, transaction,
            "SELECT current_version, deleted_at IS NULL FROM secrets WHERE name = @name FOR UPDATE;", Text("name", write.Name)))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            exists = await reader.ReadAsync(ct);
            live = exists && reader.GetBoolean(1);
            current = exists ? reader.GetInt32(0) : 0;
        }
        // Check-and-set against the current version; a deleted secret, or one whose versions were all destroyed, has
        // none (0), so "expect 0" means "nothing readable is there".
        if (write.ExpectedVersion is { } expected && expected != (live ? current : 0)) return null;

        var principal = Text("principal", write.Principal);
        var changed = await ExecuteAsync(connection, transaction, exists
                ? """
                  UPDATE secrets SET description = COALESCE(@description, description), current_version = @version,
                      updated_by = @principal, updated_at = @at, deleted_at = NULL, deleted_by = NULL
                  WHERE name = @name;
                  """
                // Another node may create the same name between the lock above (which found no row) and this insert:
                // then nothing is inserted, and this write is the loser of the race.
                : """
                  INSERT INTO secrets (name, description, current_version, created_by, created_at, updated_by, updated_at)
                  VALUES (@name, @description, @version, @principal, @at, @principal, @at) ON CONFLICT (name) DO NOTHING;
                  """,
            ct, Text("name", write.Name), Text("description", write.Description), Int("version", write.Version), principal, Long("at", write.At));
        if (changed == 0) return null;
        var inserted = await ExecuteAsync(connection, transaction, """
            INSERT INTO secret_versions (name, version, kind, ciphertext, created_by, created_at)
            VALUES (@name, @version, @kind, @ciphertext, @principal, @at) ON CONFLICT (name, version) DO NOTHING;
            """,
            ct, Text("name", write.Name), Int("version", write.Version), Text("kind", write.Kind), Bytes("ciphertext", write.Ciphertext.ToArray()),
            Text("principal", write.Principal), Long("at", write.At));
        if (inserted == 0) return null;
        var erased = await ExecuteAsync(connection, transaction, """
            UPDATE secret_versions SET ciphertext = NULL, destroyed_at = @at
            WHERE name = @name AND ciphertext IS NOT NULL AND version <> @version AND version NOT IN (
                SELECT version FROM secret_versions WHERE name = @name AND ciphertext IS NOT NULL ORDER BY version DESC LIMIT @keep);
            """,
            ct, Text("name", write.Name), Int("version", write.Version), Long("at", write.At), Int("keep", write.KeepVersions));
        return erased > 0;
    }

    public async Task<SecretVersionRecord?> GetVersionAsync(string name, int version, CancellationToken ct = default) =>
        (await ReadVersionsAsync($"SELECT {VersionColumns} FROM secret_versions WHERE name = @name AND version = @version;", ct,
            Text("name", name), Int("version", version))).FirstOrDefault();

    public async Task<IReadOnlyList<SecretVersionRecord>> ListVersionsAsync(string name, CancellationToken ct = default) =>
        await ReadVersionsAsync($"SELECT {VersionColumns} FROM secret_versions WHERE name = @name ORDER BY version DESC;", ct, Text("name", name));

    public async Task<IReadOnlyList<SecretVersionRecord>> ListLiveVersionsAsync(CancellationToken ct = default) =>
        await ReadVersionsAsync($"SELECT {VersionColumns} FROM secret_versions WHERE ciphertext IS NOT NULL ORDER BY name COLLATE \"C\", version DESC;", ct);

    public async Task<bool> MarkDeletedAsync(string name, string? principal, long at, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await ExecuteAsync(connection, null,
            "UPDATE secrets SET deleted_at = @at, deleted_by = @principal WHERE name = @name AND deleted_at IS NULL;",
            ct, Text("name", name), Text("principal", principal), Long("at", at)) > 0;
    }

    public async Task<bool> RestoreAsync(string name, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await ExecuteAsync(connection, null,
            "UPDATE secrets SET deleted_at = NULL, deleted_by = NULL WHERE name = @name AND deleted_at IS NOT NULL;",
            ct, Text("name", name)) > 0;
    }

    public async Task<IReadOnlyList<string>> PurgeDeletedAsync(long deletedBefore, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var purged = new List<string>();
        // Versions and tags go with their secret (ON DELETE CASCADE), in the same statement.
        await using (var command = Create(connection, null, "DELETE FROM secrets WHERE deleted_at < @before RETURNING name;", Long("before", deletedBefore)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) purged.Add(reader.GetString(0));
        }
        if (purged.Count > 0) await VacuumAsync(connection, "secret_versions", ct);
        purged.Sort(StringComparer.Ordinal);
        return purged;
    }

    public async Task<bool> DestroyVersionAsync(string name, int version, long at, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            var destroyed = await ExecuteAsync(connection, transaction,
                "UPDATE secret_versions SET ciphertext = NULL, destroyed_at = @at WHERE name = @name AND version = @version AND ciphertext IS NOT NULL;",
                ct, Text("name", name), Int("version", version), Long("at", at)) > 0;
            if (!destroyed) return false;
            await ExecuteAsync(connection, transaction, """
                UPDATE secrets SET current_version = COALESCE(
                    (SELECT MAX(version) FROM secret_versions WHERE name = @name AND ciphertext IS NOT NULL), 0)
                WHERE name = @name AND current_version = @version;
                """, ct, Text("name", name), Int("version", version));
            await transaction.CommitAsync(ct);
        }
        await VacuumAsync(connection, "secret_versions", ct);
        return true;
    }

    public async Task SetTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var tag in tags)
        {
            await ExecuteAsync(connection, transaction, """
                INSERT INTO secret_tags (name, key, value) SELECT @name, @key, @value WHERE EXISTS (SELECT 1 FROM secrets WHERE name = @name)
                ON CONFLICT (name, key) DO UPDATE SET value = excluded.value;
                """, ct, Text("name", name), Text("key", tag.Key), Text("value", tag.Value));
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
            await ExecuteAsync(connection, transaction,
                "DELETE FROM secret_tags WHERE name = @name AND key = @key AND (@value IS NULL OR value = @value);",
                ct, Text("name", name), Text("key", tag.Key), Text("value", tag.Value));
        }
        await transaction.CommitAsync(ct);
    }

    public async Task TouchLastUsedAsync(string name, long at, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await ExecuteAsync(connection, null,
            "UPDATE secrets SET last_used_at = GREATEST(COALESCE(last_used_at, @at), @at) WHERE name = @name;",
            ct, Text("name", name), Long("at", at));
    }

    public async Task<bool> SetDescriptionAsync(string name, string? description, string? principal, long at, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await ExecuteAsync(connection, null,
            "UPDATE secrets SET description = @description, updated_by = @by, updated_at = @at WHERE name = @name AND deleted_at IS NULL;",
            ct, Text("name", name), Text("description", description), Text("by", principal), Long("at", at)) == 1;
    }

    /// <summary>
    /// Rewrites <paramref name="table"/> into a new file, leaving behind the row images an erasure made dead. Row
    /// images an older snapshot can still see (another node's open transaction) stay until the next erasure's rewrite.
    /// </summary>
    private static async Task VacuumAsync(NpgsqlConnection connection, string table, CancellationToken ct) =>
        await ExecuteAsync(connection, null, $"VACUUM FULL {table};", ct);

    private async Task<List<SecretRecord>> ReadSecretsAsync(string? name, bool includeDeleted, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        // One snapshot for both statements, so a secret and its tags are read as of the same moment.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var filter = (name, includeDeleted) switch
        {
            (not null, _) => " WHERE name = @name",
            (null, false) => " WHERE deleted_at IS NULL",
            _ => "",
        };
        var records = new List<SecretRecord>();
        await using (var command = Create(connection, transaction, $"SELECT {SecretColumns} FROM secrets{filter} ORDER BY name COLLATE \"C\";", Text("name", name)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) records.Add(SecretRows.Secret(reader));
        }
        var tags = new List<(string Name, SecretTag Tag)>();
        await using (var command = Create(connection, transaction,
            $"SELECT name, key, value FROM secret_tags{(name is null ? "" : " WHERE name = @name")} ORDER BY name COLLATE \"C\", key COLLATE \"C\";",
            Text("name", name)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) tags.Add((reader.GetString(0), new SecretTag(reader.GetString(1), reader.GetString(2))));
        }
        await transaction.CommitAsync(ct);
        var byName = tags.ToLookup(t => t.Name, t => t.Tag, StringComparer.Ordinal);
        return [.. records.Select(r => r with { Tags = byName[r.Name].ToList() })];
    }

    private async Task<List<SecretVersionRecord>> ReadVersionsAsync(string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var command = Create(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var versions = new List<SecretVersionRecord>();
        while (await reader.ReadAsync(ct)) versions.Add(SecretRows.Version(reader));
        return versions;
    }
}
