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
        // Blazor maps /_framework/opaque-redirect (for enhanced navigation, which the console does not use) past every
        // convention; without a rule it is refused to everyone, which the sweep checks below like any closed route.
        const string FrameworkRoute = "/_framework/opaque-redirect";
        var missing = routes.Where(r => r.Metadata.GetMetadata<AccessRule>() is null && r.RoutePattern.RawText != FrameworkRoute).Select(r => r.RoutePattern.RawText).ToList();
        Assert.True(missing.Count == 0, "routes without an access rule: " + string.Join(", ", missing));

        var swept = 0;
        var consolePages = 0;
        (await nobody.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(_server.BaseUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(FrameworkRoute)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await nobody.GetAsync(FrameworkRoute)).Status);
        foreach (var route in routes.Where(r => r.RoutePattern.RawText != FrameworkRoute))
        {
            var rule = route.Metadata.GetMetadata<AccessRule>()!;
            if (rule.IsPublic) continue;
            var path = InProcessServer.Concrete(route.RoutePattern.RawText!);
            if (route.Metadata.GetMetadata<Baton.Server.Console.ConsolePageMarker>() is not null)
            {
                // A console page's session is its cookie, never a token: without one it sends the browser to sign in,
                // and a token in the header does not open it.
                var consoleMethod = route.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods is [var first, ..] ? first : "GET";
                using var request = new HttpRequestMessage(new HttpMethod(consoleMethod), path);
                request.Headers.Add("X-Authorization", nobody.Token);
                using var page = await noRedirect.SendAsync(request);
                Assert.True(page.StatusCode == HttpStatusCode.Redirect && page.Headers.Location?.OriginalString == "/console/signin", $"{consoleMethod} {path} (a console page) with only an API token: {(int)page.StatusCode}");
                consolePages++;
                continue;
            }
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
        Assert.True(consolePages >= 3, $"only {consolePages} console routes were swept");
        Assert.True(swept >= 90, $"only {swept} route and method pairs were swept");
    }

    private static Task<Reply> SendAsync(BatonClient client, string method, string path) =>
        method is "GET" or "HEAD"
            ? client.SendAsync(new HttpMethod(method), path, null)
            : client.SendAsync(new HttpMethod(method), path, new JsonObject());
}
