using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Server.Auth;
using Baton.Testing;
using Microsoft.AspNetCore.Routing;

namespace Baton.EndToEnd;

/// <summary>
/// Everything closed by default: the server is built and started here (on loopback, real HTTP) so that the test can
/// read the route table itself, not a document about it. Every mapped route must carry an access rule; without a
/// token every non-public route answers 401; for a signed-in principal without roles or grants every route that is
/// not about the caller itself answers 403. A route added later without a rule fails the first assertion.
/// </summary>
public sealed class RouteSweepTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync("baton-sweep");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Every_route_has_a_rule_and_answers_401_without_a_token_and_403_without_grants()
    {
        using var admin = new BatonClient(_server.BaseUrl, _server.AdminCredentials());
        (await admin.PutAsync("/api/users/nobody@example.test", new JsonObject { ["roles"] = new JsonArray(), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        using var nobody = new BatonClient(_server.BaseUrl, new JsonObject { ["email"] = "nobody@example.test", ["password"] = "a long enough password" });
        using var anonymous = new BatonClient(_server.BaseUrl);

        var routes = _server.Routes;
        var missing = routes.Where(r => r.Metadata.GetMetadata<AccessRule>() is null).Select(r => r.RoutePattern.RawText).ToList();
        Assert.True(missing.Count == 0, "routes without an access rule: " + string.Join(", ", missing));

        var swept = 0;
        foreach (var route in routes)
        {
            var rule = route.Metadata.GetMetadata<AccessRule>()!;
            if (rule.IsPublic) continue;
            var path = InProcessServer.Concrete(route.RoutePattern.RawText!);
            foreach (var method in route.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                var unauthenticated = await SendAsync(anonymous, method, path);
                Assert.True(unauthenticated.Status == HttpStatusCode.Unauthorized, $"{method} {path} without a token: {(int)unauthenticated.Status} {unauthenticated.Text}");
                Assert.Contains("INVALID_TOKEN", unauthenticated.Text, StringComparison.Ordinal);

                var ungranted = await SendAsync(nobody, method, path);
                if (rule == AccessRule.AnyPrincipal)
                {
                    Assert.True((int)ungranted.Status < 300, $"{method} {path} is about the caller and should answer: {(int)ungranted.Status} {ungranted.Text}");
                }
                else
                {
                    Assert.True(ungranted.Status == HttpStatusCode.Forbidden, $"{method} {path} ({rule.Description}) for a principal without grants: {(int)ungranted.Status} {ungranted.Text}");
                    Assert.StartsWith("Forbidden: needs", ungranted.Object["message"]!.GetValue<string>(), StringComparison.Ordinal);
                }
                swept++;
            }
        }
        Assert.True(swept >= 90, $"only {swept} route and method pairs were swept");
    }

    private static Task<Reply> SendAsync(BatonClient client, string method, string path) =>
        method is "GET" or "HEAD"
            ? client.SendAsync(new HttpMethod(method), path, null)
            : client.SendAsync(new HttpMethod(method), path, new JsonObject());
}
