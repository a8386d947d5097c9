using Baton.Access.Model;
using Baton.Access.Store;
using Baton.Storage.Postgres;

namespace Baton.Storage.Compliance;

/// <summary>The access model on PostgreSQL: one node's change read whole by another; a user's email matched without case.</summary>
public sealed class PostgresAccessStoreTests
{
    [Fact]
    public async Task A_change_saved_by_one_node_is_loaded_whole_by_another()
    {
        await using var server = await PostgresTestDatabase.CreateAsync();
        await using var first = new PostgresDatabase(server.ConnectionString);
        await using var second = new PostgresDatabase(server.ConnectionString);
        var writer = new PostgresAccessStore(first);
        var reader = new PostgresAccessStore(second);

        var change = new AccessChange();
        change.UpsertUsers.Add(new User { Id = "Ada@Example.com", Name = "Ada", Roles = ["ADMIN"], CreatedAt = 7 });
        change.UpsertKeys.Add(new AccessKey { Id = "k1", ApplicationId = "app1", SecretHash = [1, 2, 3], Active = false, CreatedAt = 9 });
        change.PutGrants.Add(new Grant(new Subject("USER", "Ada@Example.com"), new Target("SECRET_NAME", "db"), AccessRight.Read));
        await writer.SaveAsync(change);

        var regrant = new AccessChange();
        regrant.PutGrants.Add(new Grant(new Subject("USER", "Ada@Example.com"), new Target("SECRET_NAME", "db"), AccessRight.All));
        await writer.SaveAsync(regrant);

        var loaded = await reader.LoadAsync();
        var user = Assert.Single(loaded.Users);
        Assert.Equal(("Ada@Example.com", "Ada", 7L), (user.Id, user.Name, user.CreatedAt));
        Assert.Equal(["ADMIN"], user.Roles);
        var key = Assert.Single(loaded.Keys);
        Assert.Equal(new byte[] { 1, 2, 3 }, key.SecretHash);
        Assert.False(key.Active);
        Assert.Equal(AccessRight.All, Assert.Single(loaded.Grants).Access);

        var delete = new AccessChange();
        delete.DeleteUsers.Add("ada@example.COM");
        delete.DeleteKeys.Add("k1");
        delete.DeleteGrants.Add((new Subject("USER", "Ada@Example.com"), new Target("SECRET_NAME", "db")));
        await reader.SaveAsync(delete);
        var emptied = await writer.LoadAsync();
        Assert.Empty(emptied.Users);
        Assert.Empty(emptied.Keys);
        Assert.Empty(emptied.Grants);
    }

    [Fact]
    public async Task Nodes_starting_together_create_one_first_user()
    {
        await using var server = await PostgresTestDatabase.CreateAsync();
        var databases = Enumerable.Range(0, 4).Select(_ => new PostgresDatabase(server.ConnectionString)).ToArray();
        try
        {
            // Each node its own administrator's email, so only the "no user yet" check (not the key) can keep it to one.
            var created = await Task.WhenAll(databases.Select((db, i) => Task.Run(() =>
                new PostgresAccessStore(db).CreateFirstUserAsync(new User { Id = $"admin{i}@example.com", Name = "Administrator" }))));

            var users = (await new PostgresAccessStore(databases[0]).LoadAsync()).Users;
            var user = Assert.Single(users);
            Assert.Equal(1, created.Count(c => c));
            Assert.Equal($"admin{Array.IndexOf(created, true)}@example.com", user.Id);
            Assert.False(await new PostgresAccessStore(databases[1]).CreateFirstUserAsync(new User { Id = "late@example.com" }));
        }
        finally
        {
            foreach (var db in databases) await db.DisposeAsync();
        }
    }
}
