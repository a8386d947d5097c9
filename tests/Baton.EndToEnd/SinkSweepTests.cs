using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// Catches a sink added later that skips the redactor: every GET route in the OpenAPI document is called with
/// real ids after a live secret went through a run, and no answer may hold the value; the endpoints that carry
/// values on purpose are a fixed list.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class SinkSweepTests(ServerFixture fixture)
{
    private static readonly string[] DeliberateValueCarriers =
    [
        "GET /api/secrets/{key}",
        "GET /api/tasks/poll/{taskType}",
        "GET /api/tasks/poll/batch/{taskType}",
        "POST /api/tasks/update-v2",
    ];

    private readonly BatonClient _client = fixture.Client;

    private async Task<JsonObject> OpenApiAsync() => (await _client.GetAsync("/openapi/v1.json")).Object;

    [Fact]
    public async Task Only_the_known_endpoints_may_answer_with_secret_values()
    {
        var marked = new List<string>();
        foreach (var (path, item) in (await OpenApiAsync())["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (operation?["x-baton-secret-values"]?.GetValue<bool>() == true) marked.Add($"{method.ToUpperInvariant()} {path}");
            }
        }
        Assert.Equal(DeliberateValueCarriers.Order(StringComparer.Ordinal), marked.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task No_other_get_route_answers_with_a_live_secret()
    {
        var value = "sweep-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var secret = Defs.Unique("sweep").Replace('_', '-');
        using (var content = new StringContent(System.Text.Json.JsonSerializer.Serialize(value), Encoding.UTF8, "application/json"))
        {
            Assert.Equal(HttpStatusCode.OK, (await _client.Http.PutAsync(new Uri($"/api/secrets/{secret}", UriKind.Relative), content)).StatusCode);
        }
        (await _client.PutAsync($"/api/secrets/{secret}/tags", JsonNode.Parse("""[{"key":"sweep","value":"yes"}]"""))).ShouldBe(HttpStatusCode.OK);
        var type = Defs.Unique("sweep_worker");
        var name = Defs.Unique("sweep");
        await _client.RegisterWorkflowAsync(Defs.Workflow(name,
            Defs.Http("echo", $"{fixture.Peer.BaseUrl}/echo", "POST", body: new JsonObject { ["v"] = $"${{workflow.secrets.{secret}}}" }),
            Defs.Simple(type, "work", new JsonObject { ["v"] = $"${{workflow.secrets.{secret}}}" })));
        var id = await _client.StartAsync(name, correlationId: "sweep-corr");
        var task = await _client.PollTaskAsync(type);
        (await _client.PostAsync("/api/tasks", new JsonObject
        {
            ["workflowInstanceId"] = id,
            ["taskId"] = task["taskId"]!.GetValue<string>(),
            ["status"] = "IN_PROGRESS",
            ["outputData"] = new JsonObject { ["echo"] = value },
            ["logs"] = new JsonArray(new JsonObject { ["log"] = value }),
        })).ShouldBe(HttpStatusCode.OK);

        var ids = new Dictionary<string, string>
        {
            ["workflowId"] = id,
            ["taskId"] = task["taskId"]!.GetValue<string>(),
            ["name"] = name,
            ["identifier"] = name,
            ["key"] = secret,
            ["taskType"] = type,
            ["correlationId"] = "sweep-corr",
            ["version"] = "1",
            ["tasktype"] = type,
            // The access routes: the administrator as user and subject; the rest answer 404 or 400, which is swept too.
            ["id"] = fixture.Server.AdminCredentials()["email"]!.GetValue<string>(),
            ["type"] = "USER",
            ["accessKeyId"] = "no-such-key",
        };
        var swept = 0;
        foreach (var (path, item) in (await OpenApiAsync())["paths"]!.AsObject())
        {
            if (item!["get"] is not { } get || get["x-baton-secret-values"] is not null) continue;
            var url = path;
            foreach (var (parameter, real) in ids) url = url.Replace("{" + parameter + "}", Uri.EscapeDataString(real), StringComparison.Ordinal);
            Assert.DoesNotContain("{", url, StringComparison.Ordinal);
            var query = path.Contains("queue/", StringComparison.Ordinal) ? $"?taskType={type}" : path.EndsWith("/search", StringComparison.Ordinal) ? "?freeText=*" : "";
            var reply = await _client.GetAsync(url + query);
            Assert.DoesNotContain(value, reply.Text, StringComparison.Ordinal);
            swept++;
        }
        Assert.True(swept >= 25, $"only {swept} GET routes were swept");
    }
}
