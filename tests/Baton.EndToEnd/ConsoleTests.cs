using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// The console over real HTTP against a real server process: the seed's flow (sign in, Secrets, Add secret, listed,
/// tagged), the value in no page in any encoding, anti-forgery on every form, sign-out, and a user without rights.
/// </summary>
public sealed partial class ConsoleTests : OwnServerTests
{
    private const string Value = "console-canary-value-7f3a9c";

    [Fact]
    public async Task The_seed_flow_adds_lists_and_tags_a_secret_and_no_page_shows_its_value()
    {
        using var browser = new ConsoleBrowser(Server.BaseUrl);
        var anonymous = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.Status);
        Assert.Equal("/console/signin", anonymous.Location);

        await browser.SignInAsync(Server.AdminCredentials()["email"]!.GetValue<string>(), Server.AdminCredentials()["password"]!.GetValue<string>());
        var secrets = await browser.GetAsync("/console/secrets");
        Assert.Equal(HttpStatusCode.OK, secrets.Status);
        Assert.Contains("no-store", secrets.CacheControl ?? "", StringComparison.Ordinal);
        Assert.Contains("Add secret", secrets.Html, StringComparison.Ordinal);

        var added = await browser.PostFormAsync("/console/secrets", "add-secret", secrets.Html,
            ("NewSecret.Name", "stripe_key"), ("NewSecret.Value", Value), ("NewSecret.Tags", "team:payments"));
        Assert.Equal(HttpStatusCode.OK, added.Status);
        Assert.Contains("Saved &#x27;stripe_key&#x27; (version 1)", added.Html, StringComparison.Ordinal);
        Assert.Contains("team:payments", added.Html, StringComparison.Ordinal);

        var tagged = await browser.PostFormAsync("/console/secrets", "tag-secret", added.Html, ("Tagging.Name", "stripe_key"), ("Tagging.Tags", "env:prod"));
        Assert.Contains("env:prod", tagged.Html, StringComparison.Ordinal);
        // The API sees what the console did: one service, one store.
        using var admin = new BatonClient(Server);
        var tags = (await admin.GetAsync("/api/secrets/stripe_key/tags")).Text;
        Assert.Contains("env", tags, StringComparison.Ordinal);

        var bad = await browser.PostFormAsync("/console/secrets", "tag-secret", tagged.Html, ("Tagging.Name", "stripe_key"), ("Tagging.Tags", "no-colon"));
        Assert.Equal(HttpStatusCode.OK, bad.Status);
        Assert.Contains("is not key:value", bad.Html, StringComparison.Ordinal);
        var missing = await browser.PostFormAsync("/console/secrets", "tag-secret", tagged.Html, ("Tagging.Name", "no_such_secret"), ("Tagging.Tags", "a:b"));
        Assert.Contains("no_such_secret", missing.Html, StringComparison.Ordinal);

        foreach (var page in browser.Pages) AssertNoValue(page);
    }

    [Fact]
    public async Task Every_form_refuses_a_post_without_a_valid_anti_forgery_token()
    {
        using var browser = new ConsoleBrowser(Server.BaseUrl);
        var forged = await browser.PostRawAsync("/console/signin", ("_handler", "signin"), ("Input.Email", "x@example.test"), ("Input.Password", "whatever"));
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        await browser.SignInAsync(Server.AdminCredentials()["email"]!.GetValue<string>(), Server.AdminCredentials()["password"]!.GetValue<string>());
        var add = await browser.PostRawAsync("/console/secrets", ("_handler", "add-secret"), ("NewSecret.Name", "forged"), ("NewSecret.Value", Value));
        Assert.Equal(HttpStatusCode.BadRequest, add.Status);
        var signOut = await browser.PostRawAsync("/console/signout", ("__RequestVerificationToken", "forged"));
        Assert.Equal(HttpStatusCode.BadRequest, signOut.Status);
        using var admin = new BatonClient(Server);
        Assert.Equal("false", (await admin.GetAsync("/api/secrets/forged/exists")).Text);

        // The real sign-out ends the session: the next page goes to sign-in.
        var home = await browser.GetAsync("/console");
        var signedOut = await browser.PostFormAsync("/console/signout", null, home.Html);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.Status);
        Assert.Equal("/console/signin", (await browser.GetAsync("/console/secrets")).Location);
        foreach (var page in browser.Pages) AssertNoValue(page);
    }

    [Fact]
    public async Task A_user_without_rights_sees_no_secret_and_cannot_add_or_tag_one()
    {
        using var admin = new BatonClient(Server);
        (await admin.PutAsync("/api/secrets/guarded_key", JsonValue.Create(Value))).ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsync("/api/users/plain@example.test", new JsonObject { ["roles"] = new JsonArray("USER"), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsync("/api/users/nobody@example.test", new JsonObject { ["roles"] = new JsonArray(), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);

        using var nobody = new ConsoleBrowser(Server.BaseUrl);
        var wrong = await nobody.SignInAsync("nobody@example.test", "not the password", expectSuccess: false);
        Assert.Contains("wrong password", wrong.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("not the password", wrong.Html, StringComparison.Ordinal); // a password is never written back
        await nobody.SignInAsync("nobody@example.test", "a long enough password");
        var refused = await nobody.GetAsync("/console/secrets");
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.DoesNotContain("guarded_key", refused.Html, StringComparison.Ordinal);

        using var plain = new ConsoleBrowser(Server.BaseUrl);
        await plain.SignInAsync("plain@example.test", "a long enough password");
        var page = await plain.GetAsync("/console/secrets");
        if (page.Status == HttpStatusCode.OK)
        {
            Assert.DoesNotContain("guarded_key", page.Html, StringComparison.Ordinal);
            var tag = await plain.PostFormAsync("/console/secrets", "tag-secret", page.Html, ("Tagging.Name", "guarded_key"), ("Tagging.Tags", "team:mine"));
            Assert.Equal(HttpStatusCode.OK, tag.Status);
            Assert.Contains("Forbidden", tag.Html, StringComparison.Ordinal);
            var overwrite = await plain.PostFormAsync("/console/secrets", "add-secret", page.Html, ("NewSecret.Name", "guarded_key"), ("NewSecret.Value", "an attacker's value 123"));
            Assert.DoesNotContain("Saved", overwrite.Html, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Forbidden, page.Status);
        }
        Assert.DoesNotContain("team", (await admin.GetAsync("/api/secrets/guarded_key/tags")).Text, StringComparison.Ordinal);
        foreach (var visited in nobody.Pages.Concat(plain.Pages)) AssertNoValue(visited);
    }

    private static void AssertNoValue(ConsolePage page)
    {
        foreach (var encoded in Encodings(Value))
        {
            Assert.False(page.Html.Contains(encoded, StringComparison.Ordinal), $"{page.Path} carries the value ({encoded})");
        }
    }

    /// <summary>The value as text, HTML- and URL-escaped, base64 (plain and URL-safe) and hex.</summary>
    private static IEnumerable<string> Encodings(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        yield return value;
        yield return WebUtility.HtmlEncode(value);
        yield return Uri.EscapeDataString(value);
        yield return Convert.ToBase64String(bytes).TrimEnd('=');
        yield return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        yield return Convert.ToHexString(bytes);
        yield return Convert.ToHexString(bytes).ToLowerInvariant();
    }
}

public sealed record ConsolePage(string Path, HttpStatusCode Status, string Html, string? Location, string? CacheControl = null);

/// <summary>A cookie-keeping client that fills forms as a browser does (the anti-forgery token from the page).</summary>
public sealed partial class ConsoleBrowser : IDisposable
{
    private readonly HttpClient _http;

    public ConsoleBrowser(string baseUrl) =>
        _http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = new Uri(baseUrl) };

    public List<ConsolePage> Pages { get; } = [];

    public async Task<ConsolePage> GetAsync(string path)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
        return await RecordAsync(path, response);
    }

    public async Task<ConsolePage> SignInAsync(string email, string password, bool expectSuccess = true)
    {
        var form = await GetAsync("/console/signin");
        var result = await PostFormAsync("/console/signin", "signin", form.Html, ("Input.Email", email), ("Input.Password", password));
        if (expectSuccess)
        {
            Assert.True(result.Status == HttpStatusCode.Redirect, $"sign-in answered {(int)result.Status}: {result.Html}");
        }
        return result;
    }

    /// <summary>Posts a form as the page would: its handler name and the anti-forgery token found in <paramref name="html"/>.</summary>
    public Task<ConsolePage> PostFormAsync(string path, string? handler, string html, params (string Name, string Value)[] fields)
    {
        var token = TokenPattern().Match(html);
        Assert.True(token.Success, $"no anti-forgery token on the page before {path}");
        var all = new List<(string, string)> { ("__RequestVerificationToken", WebUtility.HtmlDecode(token.Groups[1].Value)) };
        if (handler is not null) all.Add(("_handler", handler));
        all.AddRange(fields);
        return PostRawAsync(path, [.. all]);
    }

    public async Task<ConsolePage> PostRawAsync(string path, params (string Name, string Value)[] fields)
    {
        using var content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        using var response = await _http.PostAsync(new Uri(path, UriKind.Relative), content);
        return await RecordAsync(path, response);
    }

    private async Task<ConsolePage> RecordAsync(string path, HttpResponseMessage response)
    {
        var page = new ConsolePage(path, response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString,
            response.Headers.CacheControl?.ToString());
        Pages.Add(page);
        return page;
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
