using Baton.Engine.Persistence;
using Baton.Secrets.Store;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task An_environment_value_reads_back_and_an_unknown_one_is_null()
    {
        await EnvironmentValues.PutAsync("region", "eu-west-1 ✓");

        Assert.Equal(Snapshot.Of(new EnvironmentValue("region", "eu-west-1 ✓", [])), Snapshot.Of(await EnvironmentValues.GetAsync("region")));
        Assert.Null(await EnvironmentValues.GetAsync("unknown"));
    }

    [Fact]
    public async Task Putting_an_environment_value_again_replaces_the_value_and_keeps_the_tags()
    {
        await EnvironmentValues.PutAsync("region", "eu-west-1");
        await EnvironmentValues.SetTagsAsync("region", [new SecretTag("team", "ops")]);

        await EnvironmentValues.PutAsync("region", "us-east-2");

        var value = await EnvironmentValues.GetAsync("region");
        Assert.Equal("us-east-2", value!.Value);
        Assert.Equal([new SecretTag("team", "ops")], value.Tags);
    }

    [Fact]
    public async Task Environment_values_are_listed_by_name_with_their_tags()
    {
        await EnvironmentValues.PutAsync("charlie", "3");
        await EnvironmentValues.PutAsync("alpha", "1");
        await EnvironmentValues.PutAsync("bravo", "2");
        await EnvironmentValues.SetTagsAsync("bravo", [new SecretTag("tier", "1"), new SecretTag("env", "prod")]);

        var listed = await EnvironmentValues.ListAsync();

        Assert.Equal([("alpha", "1"), ("bravo", "2"), ("charlie", "3")], listed.Select(v => (v.Name, v.Value)));
        Assert.Equal([new SecretTag("env", "prod"), new SecretTag("tier", "1")], listed[1].Tags);
        Assert.Empty(listed[0].Tags);
        Assert.Empty(listed[2].Tags);
    }

    [Fact]
    public async Task Deleting_an_environment_value_returns_it_once_and_takes_its_tags()
    {
        await EnvironmentValues.PutAsync("region", "eu-west-1");
        await EnvironmentValues.SetTagsAsync("region", [new SecretTag("team", "ops")]);

        Assert.Equal("eu-west-1", await EnvironmentValues.DeleteAsync("region"));
        Assert.Null(await EnvironmentValues.DeleteAsync("region"));
        Assert.Null(await EnvironmentValues.DeleteAsync("never"));

        Assert.Null(await EnvironmentValues.GetAsync("region"));
        await EnvironmentValues.PutAsync("region", "again");
        Assert.Empty((await EnvironmentValues.GetAsync("region"))!.Tags);
    }

    [Fact]
    public async Task Environment_tags_are_added_or_replaced_by_key_and_removed_by_key_and_value()
    {
        await EnvironmentValues.PutAsync("region", "eu-west-1");
        await EnvironmentValues.PutAsync("other", "x");

        await EnvironmentValues.SetTagsAsync("region", [new SecretTag("team", "ops"), new SecretTag("env", "prod")]);
        await EnvironmentValues.SetTagsAsync("region", [new SecretTag("team", "payments")]);
        await EnvironmentValues.SetTagsAsync("other", [new SecretTag("team", "ops")]);
        await EnvironmentValues.RemoveTagsAsync("region", [new SecretTag("env", "prod"), new SecretTag("team", "ops")]);

        Assert.Equal([new SecretTag("team", "payments")], (await EnvironmentValues.GetAsync("region"))!.Tags);
        Assert.Equal([new SecretTag("team", "ops")], (await EnvironmentValues.GetAsync("other"))!.Tags);
    }

    [Fact]
    public async Task Tagging_an_unknown_environment_value_creates_nothing()
    {
        await EnvironmentValues.SetTagsAsync("ghost", [new SecretTag("team", "ops")]);

        Assert.Null(await EnvironmentValues.GetAsync("ghost"));
        await EnvironmentValues.PutAsync("ghost", "now");
        Assert.Empty((await EnvironmentValues.GetAsync("ghost"))!.Tags);
    }

    [Fact]
    public async Task Every_acknowledged_environment_write_is_still_there_after_the_store_is_reopened()
    {
        await EnvironmentValues.PutAsync("region", "eu-west-1");
        await EnvironmentValues.PutAsync("doomed", "x");
        await EnvironmentValues.SetTagsAsync("region", [new SecretTag("team", "ops")]);
        await EnvironmentValues.DeleteAsync("doomed");
        var before = Snapshot.Of(await EnvironmentValues.ListAsync());

        await ReopenStoresAsync();

        Assert.Equal(before, Snapshot.Of(await EnvironmentValues.ListAsync()));
        Assert.Equal("region", Assert.Single(await EnvironmentValues.ListAsync()).Name);
    }
}
