using Baton.Secrets.Store;
using Baton.Storage.Postgres;
using Npgsql;

namespace Baton.Storage.Compliance;

/// <summary>What the shared store owes several nodes: one migration among many starters, and no write into a newer schema.</summary>
public sealed class PostgresSchemaTests
{
    [Fact]
    public async Task Nodes_starting_together_migrate_once()
    {
        await using var server = await PostgresTestDatabase.CreateAsync();
        var nodes = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(server.ConnectionString)).ToList();
        try
        {
            var applied = await Task.WhenAll(nodes.Select(node => Task.Run(() => PostgresSchema.MigrateAsync(node))));
            Assert.Equal(PostgresSchema.CurrentVersion, applied.Sum());
            Assert.Single(applied, count => count > 0);
            await using var command = nodes[0].CreateCommand("SELECT count(*) FROM baton_schema;");
            Assert.Equal((long)PostgresSchema.CurrentVersion, await command.ExecuteScalarAsync());
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_newer_schema_is_refused_with_both_versions_named()
    {
        await using var server = await PostgresTestDatabase.CreateAsync();
        await using var node = NpgsqlDataSource.Create(server.ConnectionString);
        await PostgresSchema.MigrateAsync(node);
        var newer = PostgresSchema.CurrentVersion + 1;
        await using (var command = node.CreateCommand($"INSERT INTO baton_schema (version) VALUES ({newer});"))
        {
            await command.ExecuteNonQueryAsync();
        }
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresSchema.MigrateAsync(node));
        Assert.Contains($"schema version {newer}", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"this build's {PostgresSchema.CurrentVersion}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_environment_value_written_by_one_node_is_read_by_another_and_deleted_with_its_tags()
    {
        await using var server = await PostgresTestDatabase.CreateAsync();
        await using var first = new PostgresDatabase(server.ConnectionString);
        await using var second = new PostgresDatabase(server.ConnectionString);
        var writer = new PostgresEnvironmentStore(first);
        var reader = new PostgresEnvironmentStore(second);

        await writer.PutAsync("region", "eu-west");
        await writer.SetTagsAsync("region", [new SecretTag("team", "ops"), new SecretTag("tier", "1")]);
        await writer.SetTagsAsync("missing", [new SecretTag("team", "ops")]);
        await reader.RemoveTagsAsync("region", [new SecretTag("tier", "2")]);

        var read = await reader.GetAsync("region");
        Assert.NotNull(read);
        Assert.Equal("eu-west", read.Value);
        Assert.Equal([new SecretTag("team", "ops"), new SecretTag("tier", "1")], read.Tags);
        Assert.Null(await reader.GetAsync("missing"));

        Assert.Equal("eu-west", await reader.DeleteAsync("region"));
        Assert.Null(await writer.DeleteAsync("region"));
        await writer.PutAsync("region", "us-east");
        Assert.Empty((await reader.ListAsync()).Single().Tags);
    }
}
