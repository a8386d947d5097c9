using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>Starts with an idempotency key, as Orkes takes them: FAIL (the default), FAIL_ON_RUNNING, RETURN_EXISTING.</summary>
[Collection(SharedServer.Name)]
public sealed class IdempotencyTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    private async Task<string> WaitingWorkflowAsync()
    {
        var def = Defs.Workflow(Defs.Unique("idem"), Defs.Parse("""{"name": "hold", "taskReferenceName": "hold", "type": "HUMAN"}"""));
        await _client.RegisterWorkflowAsync(def);
        return def["name"]!.GetValue<string>();
    }

    private Task<Reply> StartAsync(string name, string key, string? strategy = null) => _client.PostAsync("/api/workflow", new JsonObject
    {
        ["name"] = name,
        ["idempotencyKey"] = key,
        ["idempotencyStrategy"] = strategy,
    });

    [Fact]
    public async Task A_second_start_with_the_same_key_is_refused_or_answered_with_the_first_run()
    {
        var name = await WaitingWorkflowAsync();
        var first = await StartAsync(name, "order-1");
        first.ShouldBe(HttpStatusCode.OK);

        var again = await StartAsync(name, "order-1");
        again.ShouldBe(HttpStatusCode.Conflict);
        Assert.Contains(first.Text, again.Text, StringComparison.Ordinal);
        Assert.Equal(first.Text, (await StartAsync(name, "order-1", "RETURN_EXISTING")).Text);
        (await StartAsync(name, "order-2")).ShouldBe(HttpStatusCode.OK);
        (await StartAsync(name, "order-1", "SOMETIMES")).ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Fail_on_running_refuses_only_while_the_first_run_is_still_running()
    {
        var name = await WaitingWorkflowAsync();
        var first = (await StartAsync(name, "k", "FAIL_ON_RUNNING")).Text;
        (await StartAsync(name, "k", "FAIL_ON_RUNNING")).ShouldBe(HttpStatusCode.Conflict);

        (await _client.DeleteAsync($"/api/workflow/{first}")).ShouldBe(HttpStatusCode.OK);

        var second = await StartAsync(name, "k", "FAIL_ON_RUNNING");
        second.ShouldBe(HttpStatusCode.OK);
        Assert.NotEqual(first, second.Text);
        Assert.Equal(second.Text, (await StartAsync(name, "k", "RETURN_EXISTING")).Text);
    }

    [Fact]
    public async Task Concurrent_starts_with_one_key_make_exactly_one_run()
    {
        var name = await WaitingWorkflowAsync();

        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => StartAsync(name, "burst", "RETURN_EXISTING")));

        Assert.All(replies, r => r.ShouldBe(HttpStatusCode.OK));
        Assert.Single(replies.Select(r => r.Text).Distinct());
    }
}
