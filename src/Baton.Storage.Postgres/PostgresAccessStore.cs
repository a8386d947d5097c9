using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Baton.Access.Model;
using Baton.Access.Store;
using Npgsql;

namespace Baton.Storage.Postgres;

/// <summary>
/// The access model in PostgreSQL: users, groups and applications as JSON documents, keys and grants as rows. Loaded
/// in one repeatable-read snapshot, so a node never sees half of another node's change; each change is one transaction.
/// </summary>
public sealed class PostgresAccessStore(PostgresDatabase database) : IAccessStore
{
    public async Task<AccessData> LoadAsync(CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var users = await DocumentsAsync(connection, transaction, "SELECT json FROM access_users ORDER BY key COLLATE \"C\";", PostgresAccessDocuments.Default.User, ct);
        var groups = await DocumentsAsync(connection, transaction, "SELECT json FROM access_groups ORDER BY id COLLATE \"C\";", PostgresAccessDocuments.Default.Group, ct);
        var apps = await DocumentsAsync(connection, transaction, "SELECT json FROM access_applications ORDER BY id COLLATE \"C\";", PostgresAccessDocuments.Default.Application, ct);
        var keys = new List<AccessKey>();
        await using (var command = new NpgsqlCommand(
            "SELECT id, application_id, secret_hash, active, created_at FROM access_keys ORDER BY id COLLATE \"C\";", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                keys.Add(new AccessKey
                {
                    Id = reader.GetString(0),
                    ApplicationId = reader.GetString(1),
                    SecretHash = (byte[])reader.GetValue(2),
                    Active = reader.GetBoolean(3),
                    CreatedAt = reader.GetInt64(4),
                });
            }
        }
        var grants = new List<Grant>();
        await using (var command = new NpgsqlCommand(
            "SELECT subject_type, subject_id, target_type, target_id, access FROM access_grants;", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                grants.Add(new Grant(new Subject(reader.GetString(0), reader.GetString(1)),
                    new Target(reader.GetString(2), reader.GetString(3)), (AccessRight)reader.GetInt64(4)));
            }
        }
        await transaction.CommitAsync(ct);
        return new AccessData(users, groups, apps, keys, grants);
    }

    public async Task<bool> CreateFirstUserAsync(User user, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // Nodes starting together on an empty database: the table lock makes "no user yet" and the insert one step.
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE access_users IN SHARE ROW EXCLUSIVE MODE;", connection, transaction))
        {
            await lockTable.ExecuteNonQueryAsync(ct);
        }
        await using var insert = new NpgsqlCommand(
            "INSERT INTO access_users (key, id, json) SELECT lower($1), $1, $2 WHERE NOT EXISTS (SELECT 1 FROM access_users);", connection, transaction);
        insert.Parameters.Add(new NpgsqlParameter { Value = user.Id });
        insert.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(user, PostgresAccessDocuments.Default.User) });
        var created = await insert.ExecuteNonQueryAsync(ct) == 1;
        await transaction.CommitAsync(ct);
        return created;
    }

    public async Task SaveAsync(AccessChange change, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var batch = new NpgsqlBatch(connection, transaction);
        await using (batch)
        {
            foreach (var id in change.DeleteUsers) Add(batch, "DELETE FROM access_users WHERE key = lower($1);", id);
            foreach (var user in change.UpsertUsers)
            {
                Add(batch, "INSERT INTO access_users (key, id, json) VALUES (lower($1), $1, $2) ON CONFLICT (key) DO UPDATE SET id = excluded.id, json = excluded.json;",
                    user.Id, JsonSerializer.Serialize(user, PostgresAccessDocuments.Default.User));
            }
            foreach (var id in change.DeleteGroups) Add(batch, "DELETE FROM access_groups WHERE id = $1;", id);
            foreach (var group in change.UpsertGroups)
            {
                Add(batch, "INSERT INTO access_groups (id, json) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET json = excluded.json;",
                    group.Id, JsonSerializer.Serialize(group, PostgresAccessDocuments.Default.Group));
            }
            foreach (var id in change.DeleteApplications) Add(batch, "DELETE FROM access_applications WHERE id = $1;", id);
            foreach (var app in change.UpsertApplications)
            {
                Add(batch, "INSERT INTO access_applications (id, json) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET json = excluded.json;",
                    app.Id, JsonSerializer.Serialize(app, PostgresAccessDocuments.Default.Application));
            }
            foreach (var id in change.DeleteKeys) Add(batch, "DELETE FROM access_keys WHERE id = $1;", id);
            foreach (var key in change.UpsertKeys)
            {
                Add(batch, """
                    INSERT INTO access_keys (id, application_id, secret_hash, active, created_at) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (id) DO UPDATE SET application_id = excluded.application_id, secret_hash = excluded.secret_hash,
                        active = excluded.active, created_at = excluded.created_at;
                    """, key.Id, key.ApplicationId, key.SecretHash, key.Active, key.CreatedAt);
            }
            foreach (var (subject, target) in change.DeleteGrants)
            {
                Add(batch, "DELETE FROM access_grants WHERE subject_type = $1 AND subject_id = $2 AND target_type = $3 AND target_id = $4;",
                    subject.Type, subject.Id, target.Type, target.Id);
            }
            foreach (var grant in change.PutGrants)
            {
                Add(batch, """
                    INSERT INTO access_grants (subject_type, subject_id, target_type, target_id, access) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (subject_type, subject_id, target_type, target_id) DO UPDATE SET access = excluded.access;
                    """, grant.Subject.Type, grant.Subject.Id, grant.Target.Type, grant.Target.Id, (long)grant.Access);
            }
            if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    private static void Add(NpgsqlBatch batch, string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        batch.BatchCommands.Add(command);
    }

    private static async Task<List<T>> DocumentsAsync<T>(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, JsonTypeInfo<T> type, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct)) list.Add(JsonSerializer.Deserialize(reader.GetString(0), type)!);
        return list;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(User))]
[JsonSerializable(typeof(Group))]
[JsonSerializable(typeof(Application))]
internal sealed partial class PostgresAccessDocuments : JsonSerializerContext;
