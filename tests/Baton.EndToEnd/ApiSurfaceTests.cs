using System.Net;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

[Collection(SharedServer.Name)]
public sealed class ApiSurfaceTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    [Fact]
    public async Task Health_endpoints_answer_up_once_the_engine_is_ready()
    {
        Assert.Equal("UP", (await _client.GetAsync("/health/live")).Object["status"]!.GetValue<string>());
        Assert.Equal("UP", (await _client.GetAsync("/health/ready")).Object["status"]!.GetValue<string>());
        Assert.Equal("UP", (await _client.GetAsync("/health")).Object["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_openapi_document_declares_the_token_scheme_where_it_is_needed_and_a_response_schema_everywhere()
    {
        var document = (await _client.GetAsync("/openapi/v1.json")).Object;
        Assert.Equal("X-Authorization", document["components"]!["securitySchemes"]!["X-Authorization"]!["name"]!.GetValue<string>());
        var operations = 0;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is not ("get" or "put" or "post" or "delete" or "patch")) continue;
                operations++;
                var responses = operation!["responses"]!.AsObject();
                Assert.True(responses.Any(r => r.Key.StartsWith('2') && (r.Key == "204" || r.Value!["content"] is not null)), $"{method} {path} has no success answer with a schema");
                Assert.NotNull(responses["400"]?["content"]);
                var isPublic = path.StartsWith("/health", StringComparison.Ordinal) || path == "/api/token";
                Assert.True(isPublic == (operation["security"] is null), $"{method} {path}: security is {(operation["security"] is null ? "missing" : "declared")}");
            }
        }
        Assert.True(operations > 100, $"only {operations} operations");
    }

    [Fact]
    public async Task The_root_answers_a_short_page_with_links_without_a_token()
    {
        using var anonymous = new BatonClient(fixture.Server.BaseUrl);
        var page = await anonymous.GetAsync("/");
        page.ShouldBe(HttpStatusCode.OK);
        Assert.Contains("href=\"/scalar/v1\"", page.Text, StringComparison.Ordinal);
        Assert.Contains("href=\"/health/ready\"", page.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_conductor_paths()
    {
        var document = (await _client.GetAsync("/openapi/v1.json")).Object;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToHashSet();
        foreach (var path in new[] { "/api/workflow", "/api/workflow/execute/{name}/{version}", "/api/tasks/poll/batch/{taskType}", "/api/tasks/update-v2", "/api/metadata/taskdefs" })
        {
            Assert.Contains(path, paths);
        }
    }

    [Fact]
    public async Task The_browsable_api_page_is_served()
    {
        var page = await _client.GetAsync("/scalar/v1");
        page.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("text/html", page.ContentType);
        Assert.Contains("openapi/v1.json", page.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unexpected_route_is_a_plain_404_and_no_response_carries_a_stack_trace()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/nothing-here")).Status);
        var reply = await _client.SendRawAsync(HttpMethod.Post, "/api/tasks", "{\"taskId\": [1,2,3]}");
        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.DoesNotContain(" at Baton.", reply.Text, StringComparison.Ordinal);
    }
}
