using System.Net;
using System.Text.Json.Nodes;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>The first start's administrator, and throttled sign-in (per client address, behind a proxy too): each on a server of its own.</summary>
public sealed class SignInTests : OwnServerTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_first_start_writes_the_administrators_credentials_owner_only_and_logs_only_the_path()
    {
        var file = Path.Combine(Server.DataDir, "admin-credentials.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var password = Server.AdminCredentials()["password"]!.GetValue<string>();
        Assert.Contains(file, Server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(password, Server.Output, StringComparison.Ordinal);

        // Rotating them as docs/operations.md says: set a new password, and the old one stops working.
        using var admin = new BatonClient(Server);
        var email = Server.AdminCredentials()["email"]!.GetValue<string>();
        (await admin.PutAsync($"/api/users/{email}", new JsonObject { ["password"] = "a brand new admin password" })).ShouldBe(HttpStatusCode.OK);
        using var anonymous = new BatonClient(Server.BaseUrl);
        (await anonymous.PostAsync("/api/token", Server.AdminCredentials())).ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/token", new JsonObject { ["email"] = email, ["password"] = "a brand new admin password" })).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Repeated_failed_sign_ins_are_throttled_with_retry_after_and_audited()
    {
        using var anonymous = new BatonClient(Server.BaseUrl);
        var email = Server.AdminCredentials()["email"]!.GetValue<string>();
        var wrong = new JsonObject { ["email"] = email, ["password"] = "not the password at all" };
        for (var i = 0; i < 4; i++) (await anonymous.PostAsync("/api/token", wrong)).ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/token", wrong)).ShouldBe(HttpStatusCode.Unauthorized); // the fifth failure starts the wait

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/token") { Content = new StringContent(Server.AdminCredentials().ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        using var throttled = await anonymous.Http.SendAsync(request); // even the right password waits
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));

        using var admin = new BatonClient(Server);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var audit = (await admin.GetAsync("/api/audit?action=sign-in&limit=50")).Array;
        Assert.Equal(5, audit.Count(e => e!["outcome"]!.GetValue<string>() == "denied"));
        Assert.Contains(audit, e => e!["outcome"]!.GetValue<string>() == "throttled");
        Assert.DoesNotContain("not the password at all", audit.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_address_is_throttled_on_its_own()
    {
        await using var proxied = await ServerProcess.StartAsync("--Baton:TrustedProxies:0=127.0.0.1");
        using var proxy = new BatonClient(proxied.BaseUrl);

        // The per-address allowance is four times the per-identity one: 20 failures, each with another email.
        for (var i = 0; i < 20; i++) Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync(proxy, $"nobody{i}@example.com", "203.0.113.5"));

        Assert.Equal(HttpStatusCode.TooManyRequests, await GuessAsync(proxy, "one-more@example.com", "203.0.113.5"));
        // Another client behind the same proxy is not made to wait for the first one's guesses.
        Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync(proxy, "one-more@example.com", "203.0.113.6"));
        using var admin = new BatonClient(proxied);
        var audit = (await admin.GetAsync("/api/audit?action=sign-in&limit=100")).Array.ToJsonString();
        Assert.Contains("from 203.0.113.5", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_trusted_proxy_a_forwarded_header_does_not_let_a_client_pass_for_other_addresses()
    {
        using var anonymous = new BatonClient(Server.BaseUrl);
        for (var i = 0; i < 20; i++) Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync(anonymous, $"nobody{i}@example.com", $"198.51.100.{i}"));

        Assert.Equal(HttpStatusCode.TooManyRequests, await GuessAsync(anonymous, "one-more@example.com", "198.51.100.99"));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_that_terminates_https_the_console_session_cookie_is_secure()
    {
        await using var proxied = await ServerProcess.StartAsync("--Baton:TrustedProxies:0=127.0.0.1");
        // Cookies by hand: the client speaks plain HTTP to the node, as nginx does, and Secure cookies are still sent.
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(proxied.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        using var form = await http.GetAsync(new Uri("/console/signin", UriKind.Relative));
        var html = await form.Content.ReadAsStringAsync();
        var token = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"");
        Assert.True(token.Success, html);
        var credentials = proxied.AdminCredentials();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/console/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
                ["_handler"] = "signin",
                ["Input.Email"] = credentials["email"]!.GetValue<string>(),
                ["Input.Password"] = credentials["password"]!.GetValue<string>(),
            }),
        };
        post.Headers.Add("Cookie", string.Join("; ", form.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));

        using var signedIn = await http.SendAsync(post);

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var session = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("baton_console=", StringComparison.Ordinal));
        Assert.Contains("secure", session, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<HttpStatusCode> GuessAsync(BatonClient client, string email, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/token")
        {
            Content = new StringContent(new JsonObject { ["email"] = email, ["password"] = "a guess" }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var reply = await client.Http.SendAsync(request);
        return reply.StatusCode;
    }
}
