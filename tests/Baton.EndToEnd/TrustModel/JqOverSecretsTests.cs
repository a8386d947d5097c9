using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.TrustModel;

/// <summary>A jq transform computes on secrets like a script: its output is sealed, its error withheld, its result usable.</summary>
[Collection(SharedServer.Name)]
public sealed class JqOverSecretsTests(ServerFixture fixture) : IDisposable
{
    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    [Fact]
    public async Task A_transform_of_a_secret_is_sealed_at_rest_and_its_result_reaches_the_peer()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var value = TrustUsers.Value("jq-secret");
        var secret = await owner.NewSecretAsync(value);
        var workflow = Defs.Unique("jq_secret");
        await TrustUsers.SaveAsync(owner, Defs.Workflow(workflow,
            Defs.Parse($$$"""
                {"name": "shout", "taskReferenceName": "shout", "type": "JSON_JQ_TRANSFORM",
                 "inputParameters": {"t": "${workflow.secrets.{{{secret}}}}", "queryExpression": "\"Bearer \" + (.t | ascii_upcase)"}}
                """),
            Defs.Http("call", $"{_users.PeerUrl}/echo/jq", headers: new JsonObject { ["Authorization"] = "${shout.output.result}" }),
            Defs.Parse($$$"""
                {"name": "broken", "taskReferenceName": "broken", "type": "JSON_JQ_TRANSFORM",
                 "inputParameters": {"t": "${workflow.secrets.{{{secret}}}}", "queryExpression": "error(.t)"}}
                """)));

        var run = await TrustUsers.RunAsync(owner, workflow);

        Assert.True(_users.PeerSaw("Bearer " + value.ToUpperInvariant()), "the peer should get the transformed value");
        var text = run.ToJsonString();
        Assert.DoesNotContain(value, text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("***", run["tasks"]![0]!["outputData"]!["result"]!.GetValue<string>());
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Contains("its error is withheld", TrustUsers.Reason(run, 2), StringComparison.Ordinal);
    }
}
