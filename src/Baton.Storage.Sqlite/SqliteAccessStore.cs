using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Access.Model;
using Baton.Access.Store;
using Microsoft.Data.Sqlite;
using static Baton.Storage.Sqlite.SqliteCommands;

namespace Baton.Storage.Sqlite;

/// <summary>The access model in SQLite: users, groups and applications as JSON documents, keys and grants as rows.</summary>
public sealed class SqliteAccessStore(SqliteDatabase database) : IAccessStore
{
    public Task<AccessData> LoadAsync(CancellationToken ct = default)
    {
        using var connection = database.OpenRead();
        using var transaction = connection.BeginTransaction(deferred: true);
        var users = Documents(connection, "access_users", AccessDocuments.Default.User);
        var groups = Documents(connection, "access_groups", AccessDocuments.Default.Group);
        var apps = Documents(connection, "access_applications", AccessDocuments.Default.Application);
        var keys = new List<AccessKey>();
        using (var command = Create(connection, "SELECT id, application_id, secret_hash, active, created_at FROM access_keys ORDER BY id;"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                keys.Add(new AccessKey
                {
                    Id = reader.GetString(0),
                    ApplicationId = reader.GetString(1),
                    SecretHash = (byte[])reader.GetValue(2),
                    Active = reader.GetInt64(3) != 0,
                    CreatedAt = reader.GetInt64(4),
                });
            }
        }
        var grants = new List<Grant>();
        using (var command = Create(connection, "SELECT subject_type, subject_id, target_type, target_id, access FROM access_grants;"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                grants.Add(new Grant(new Subject(reader.GetString(0), reader.GetString(1)), new Target(reader.GetString(2), reader.GetString(3)), (AccessRight)reader.GetInt64(4)));
            }
        }
        return Task.FromResult(new AccessData(users, groups, apps, keys, grants));
    }

    public async Task<bool> CreateFirstUserAsync(User user, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var json = JsonSerializer.Serialize(user, AccessDocuments.Default.User);
        var created = false;
        // The single writer makes the check and the insert one step.
        await database.WriteAsync(connection => created = Execute(connection,
            "INSERT INTO access_users (id, json) SELECT $id, $json WHERE NOT EXISTS (SELECT 1 FROM access_users);", ("$id", user.Id), ("$json", json)) == 1, ct);
        return created;
    }

    public Task SaveAsync(AccessChange change, CancellationToken ct = default) =>
        database.WriteAsync(connection =>
        {
            foreach (var id in change.DeleteUsers) Execute(connection, "DELETE FROM access_users WHERE id = $id;", ("$id", id));
            foreach (var user in change.UpsertUsers) Upsert(connection, "access_users", user.Id, JsonSerializer.Serialize(user, AccessDocuments.Default.User));
            foreach (var id in change.DeleteGroups) Execute(connection, "DELETE FROM access_groups WHERE id = $id;", ("$id", id));
            foreach (var group in change.UpsertGroups) Upsert(connection, "access_groups", group.Id, JsonSerializer.Serialize(group, AccessDocuments.Default.Group));
            foreach (var id in change.DeleteApplications) Execute(connection, "DELETE FROM access_applications WHERE id = $id;", ("$id", id));
            foreach (var app in change.UpsertApplications) Upsert(connection, "access_applications", app.Id, JsonSerializer.Serialize(app, AccessDocuments.Default.Application));
            foreach (var id in change.DeleteKeys) Execute(connection, "DELETE FROM access_keys WHERE id = $id;", ("$id", id));
            foreach (var key in change.UpsertKeys)
            {
                Execute(connection, """
                    INSERT INTO access_keys (id, application_id, secret_hash, active, created_at) VALUES ($id, $app, $hash, $active, $at)
                    ON CONFLICT (id) DO UPDATE SET application_id = excluded.application_id, secret_hash = excluded.secret_hash,
                        active = excluded.active, created_at = excluded.created_at;
                    """, ("$id", key.Id), ("$app", key.ApplicationId), ("$hash", key.SecretHash), ("$active", key.Active ? 1 : 0), ("$at", key.CreatedAt));
            }
            foreach (var (subject, target) in change.DeleteGrants)
            {
                Execute(connection, "DELETE FROM access_grants WHERE subject_type = $st AND subject_id = $si AND target_type = $tt AND target_id = $ti;",
                    ("$st", subject.Type), ("$si", subject.Id), ("$tt", target.Type), ("$ti", target.Id));
            }
            foreach (var grant in change.PutGrants)
            {
                Execute(connection, """
                    INSERT INTO access_grants (subject_type, subject_id, target_type, target_id, access) VALUES ($st, $si, $tt, $ti, $access)
                    ON CONFLICT (subject_type, subject_id, target_type, target_id) DO UPDATE SET access = excluded.access;
                    """, ("$st", grant.Subject.Type), ("$si", grant.Subject.Id), ("$tt", grant.Target.Type), ("$ti", grant.Target.Id), ("$access", (long)grant.Access));
            }
        }, ct);

    private static void Upsert(SqliteConnection connection, string table, string id, string json) =>
        Execute(connection, $"INSERT INTO {table} (id, json) VALUES ($id, $json) ON CONFLICT (id) DO UPDATE SET json = excluded.json;", ("$id", id), ("$json", json));

    private static List<T> Documents<T>(SqliteConnection connection, string table, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        using var command = Create(connection, $"SELECT json FROM {table} ORDER BY id;");
        using var reader = command.ExecuteReader();
        var list = new List<T>();
        while (reader.Read()) list.Add(JsonSerializer.Deserialize(reader.GetString(0), type)!);
        return list;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(User))]
[JsonSerializable(typeof(Group))]
[JsonSerializable(typeof(Application))]
internal sealed partial class AccessDocuments : JsonSerializerContext;
