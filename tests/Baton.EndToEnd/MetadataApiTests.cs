using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

[Collection(SharedServer.Name)]
public sealed class MetadataApiTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    [Fact]
    public async Task A_registered_workflow_definition_reads_back_as_written_and_latest_version_wins()
    {
        var name = Defs.Unique("meta");
        var v1 = Defs.Workflow(name, Defs.Simple("work"));
        v1["ownerTeam"] = "kept as written";
        (await _client.PostAsync("/api/metadata/workflow", v1)).ShouldBe(HttpStatusCode.OK);
        var v2 = Defs.Workflow(name, Defs.Simple("work"), Defs.Simple("more"));
        v2["version"] = 2;
        (await _client.PostAsync("/api/metadata/workflow", v2)).ShouldBe(HttpStatusCode.OK);

        var latest = (await _client.GetAsync($"/api/metadata/workflow/{name}")).Object;
        Assert.Equal(2, latest["version"]!.GetValue<int>());
        Assert.Equal(2, latest["tasks"]!.AsArray().Count);
        var first = (await _client.GetAsync($"/api/metadata/workflow/{name}?version=1")).Object;
        Assert.Equal("kept as written", first["ownerTeam"]!.GetValue<string>());

        var all = (await _client.GetAsync("/api/metadata/workflow")).Array;
        Assert.Equal(2, all.Count(d => d!["name"]!.GetValue<string>() == name));
    }

    [Fact]
    public async Task Posting_an_existing_definition_again_is_a_conflict_unless_overwrite_is_asked()
    {
        var name = Defs.Unique("dup");
        var def = Defs.Workflow(name, Defs.Simple("work"));
        (await _client.PostAsync("/api/metadata/workflow", def)).ShouldBe(HttpStatusCode.OK);
        (await _client.PostAsync("/api/metadata/workflow", def)).ShouldBe(HttpStatusCode.Conflict);
        def["description"] = "second";
        (await _client.PostAsync("/api/metadata/workflow?overwrite=true", def)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("second", (await _client.GetAsync($"/api/metadata/workflow/{name}")).Object["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Put_takes_a_list_and_delete_removes_one_version()
    {
        var a = Defs.Unique("puta");
        var b = Defs.Unique("putb");
        var reply = await _client.PutAsync("/api/metadata/workflow", new JsonArray(Defs.Workflow(a, Defs.Simple("x")), Defs.Workflow(b, Defs.Simple("y"))));
        reply.ShouldBe(HttpStatusCode.OK);
        Assert.Contains(a, reply.Object["bulkSuccessfulResults"]!.AsArray().Select(n => n!.GetValue<string>()));
        (await _client.DeleteAsync($"/api/metadata/workflow/{a}/1")).ShouldBe(HttpStatusCode.OK);
        (await _client.GetAsync($"/api/metadata/workflow/{a}")).ShouldBe(HttpStatusCode.NotFound);
        (await _client.DeleteAsync($"/api/metadata/workflow/{a}/1")).ShouldBe(HttpStatusCode.NotFound);
        (await _client.GetAsync($"/api/metadata/workflow/{b}")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Task_definitions_are_created_listed_updated_and_deleted()
    {
        var name = Defs.Unique("taskdef");
        var reply = await _client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = name, ["retryCount"] = 2, ["timeoutSeconds"] = 60, ["responseTimeoutSeconds"] = 30 }));
        reply.ShouldBe(HttpStatusCode.OK);
        var read = (await _client.GetAsync($"/api/metadata/taskdefs/{name}")).Object;
        Assert.Equal(2, read["retryCount"]!.GetValue<int>());
        Assert.True(read["createTime"]!.GetValue<long>() > 0);

        (await _client.PutAsync("/api/metadata/taskdefs", new JsonObject { ["name"] = name, ["retryCount"] = 5 })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(5, (await _client.GetAsync($"/api/metadata/taskdefs/{name}")).Object["retryCount"]!.GetValue<int>());
        Assert.Contains((await _client.GetAsync("/api/metadata/taskdefs")).Array, d => d!["name"]!.GetValue<string>() == name);

        (await _client.DeleteAsync($"/api/metadata/taskdefs/{name}")).ShouldBe(HttpStatusCode.OK);
        (await _client.GetAsync($"/api/metadata/taskdefs/{name}")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Validate_accepts_a_good_definition_and_stores_nothing()
    {
        var name = Defs.Unique("val");
        (await _client.PostAsync("/api/metadata/workflow/validate", Defs.Workflow(name, Defs.Simple("x")))).ShouldBe(HttpStatusCode.OK);
        (await _client.GetAsync($"/api/metadata/workflow/{name}")).ShouldBe(HttpStatusCode.NotFound);
    }
}
