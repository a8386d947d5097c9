using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.TrustModel;

/// <summary>
/// Issue 13 finding 3: one expression whose filter nests 200,000 negations overflowed the JSONPath parser's stack and
/// killed the server. Every way a definition reaches the parser answers 400 naming the field, and the server lives on.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class ParserDepthTests(ServerFixture fixture) : IDisposable
{
    private const string Field = "x";

    private static readonly string DeepNegation = "${workflow.input.a[?(" + new string('!', 200_000) + "@.b)]}";

    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    /// <summary>A new ordinary user (role USER, as the finding was made), signed in.</summary>
    private async Task<BatonClient> NewUserAsync() => (await _users.UserAsync("USER")).Client;

    private static JsonObject DefinitionReading(string name, string expression) =>
        Defs.Workflow(name, Defs.Simple("step", input: new JsonObject { [Field] = expression }));

    /// <summary>The reply is a 400 whose problem names the field and says the expression does not parse.</summary>
    private static void ShouldNameTheField(Reply reply, string fieldPath)
    {
        reply.ShouldBe(HttpStatusCode.BadRequest);
        var problem = reply.Object["validationErrors"]!.AsArray().Single(p => p!["path"]!.GetValue<string>() == fieldPath)!;
        Assert.Contains("does not parse", problem["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(reply.Text.Length < 10_000, $"the answer echoes the expression back: {reply.Text.Length} characters");
    }

    private async Task ServerStillAnswersAsync()
    {
        var live = await fixture.Client.GetAsync("/health/live");
        live.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("UP", live.Object["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Validating_a_definition_with_200000_negations_is_a_400_naming_the_field_and_the_server_lives_on()
    {
        var user = await NewUserAsync();
        var reply = await user.PostAsync("/api/metadata/workflow/validate", DefinitionReading(Defs.Unique("deep_validate"), DeepNegation));
        ShouldNameTheField(reply, $"$.tasks[0].inputParameters.{Field}");
        await ServerStillAnswersAsync();
    }

    [Fact]
    public async Task Saving_a_definition_with_200000_negations_is_a_400_naming_the_field_and_the_server_lives_on()
    {
        var user = await NewUserAsync();
        var name = Defs.Unique("deep_save");
        var reply = await user.PostAsync("/api/metadata/workflow", DefinitionReading(name, DeepNegation));
        ShouldNameTheField(reply, $"$.tasks[0].inputParameters.{Field}");
        await ServerStillAnswersAsync();
        (await fixture.Client.GetAsync($"/api/metadata/workflow/{name}")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Starting_an_inline_definition_with_200000_negations_is_a_400_naming_the_field_and_the_server_lives_on()
    {
        var user = await NewUserAsync();
        var name = Defs.Unique("deep_start");
        // Starting inline needs EXECUTE and CREATE on the name: the user's own harmless definition gives both.
        (await user.PostAsync("/api/metadata/workflow", DefinitionReading(name, "${workflow.input.a}"))).ShouldBe(HttpStatusCode.OK);
        var reply = await user.PostAsync("/api/workflow", new JsonObject
        {
            ["name"] = name,
            ["workflowDef"] = DefinitionReading(name, DeepNegation),
            ["input"] = new JsonObject { ["a"] = new JsonArray(new JsonObject { ["b"] = 1 }) },
        });
        ShouldNameTheField(reply, $"$.workflowDef.tasks[0].inputParameters.{Field}");
        await ServerStillAnswersAsync();
    }

    [Fact]
    public async Task An_input_nested_10000_arrays_deep_is_a_400_and_the_server_lives_on()
    {
        var user = await NewUserAsync();
        var name = Defs.Unique("deep_input");
        (await user.PostAsync("/api/metadata/workflow", DefinitionReading(name, "${workflow.input..b}"))).ShouldBe(HttpStatusCode.OK);
        var deep = new string('[', 10_000) + new string(']', 10_000);
        var reply = await user.SendRawAsync(HttpMethod.Post, "/api/workflow", "{\"name\": \"" + name + "\", \"input\": {\"a\": " + deep + "}}");
        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.input", reply.Object["validationErrors"]![0]!["path"]!.GetValue<string>(), StringComparison.Ordinal);
        await ServerStillAnswersAsync();
    }

    [Fact]
    public async Task An_input_as_deep_as_a_request_may_be_put_inside_a_deep_template_is_stored_not_a_500()
    {
        var user = await NewUserAsync();
        var name = Defs.Unique("deep_template");
        JsonNode template = "${workflow.input.deep}";
        for (var i = 0; i < 30; i++) template = new JsonObject { ["a"] = template };
        var def = Defs.Workflow(name, new JsonObject { ["name"] = "n", ["taskReferenceName"] = "n", ["type"] = "NOOP", ["inputParameters"] = new JsonObject { ["x"] = template } });
        (await user.PostAsync("/api/metadata/workflow", def)).ShouldBe(HttpStatusCode.OK);
        var deep = new string('[', 50) + "1" + new string(']', 50);
        var started = await user.SendRawAsync(HttpMethod.Post, $"/api/workflow/{name}", "{\"deep\": " + deep + "}");
        started.ShouldBe(HttpStatusCode.OK);
        // The run's document is deeper than this test client reads (64 levels): its status says enough.
        string status;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            status = (await user.GetAsync($"/api/workflow/{started.Text}/status")).Object["status"]!.GetValue<string>();
        }
        while (status == "RUNNING" && DateTime.UtcNow < deadline);
        var reason = (await user.SendRawAsync(HttpMethod.Get, $"/api/workflow/{started.Text}?includeTasks=false", "")).Text;
        Assert.True(status == "COMPLETED", $"{status}: {reason[..Math.Min(600, reason.Length)]}");
        (await user.GetAsync($"/api/workflow/{started.Text}")).ShouldBe(HttpStatusCode.OK);
        await ServerStillAnswersAsync();
    }
}
