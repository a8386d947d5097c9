using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// Bodies the JSON parser lets through but a later read would throw on (a key twice, a lone surrogate escape, bytes
/// that are not UTF-8) sent to every route that found one, as anonymous, as a USER and as admin: never a 5xx, the
/// server alive after each, and a 400 naming the JSON path whenever the caller got past the access rules.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class EdgeBodyTests(ServerFixture fixture)
{
    private static readonly string[] Routes =
    [
        "POST /api/token",
        "PUT /api/users/{unique}@example.test",
        "PUT /api/groups/{unique}",
        "POST /api/applications",
        "POST /api/auth/authorization",
        "POST /api/admin/keys/master/rotate",
        "PUT /api/secrets/{unique}",
        "PUT /api/environment/{unique}",
    ];

    /// <summary>Each kind of bad body names the fields the routes above read, so that each route reads a bad one.</summary>
    private static readonly Dictionary<string, byte[]> Bodies = new()
    {
        ["a duplicate key"] = Encoding.UTF8.GetBytes("""{"name":"a","name":"b","email":"a@example.test","email":"b@example.test","password":"p","newMasterKey":"k","newMasterKey":"l"}"""),
        ["a lone surrogate"] = Encoding.UTF8.GetBytes("""{"name":"\ud800","email":"\ud800","password":"\ud800","keyId":"\udc00","newMasterKey":"\ud800","subject":{"type":"USER","id":"\ud800"}}"""),
        ["invalid or overlong UTF-8"] = Bytes("{\"name\":\"", new byte[] { 0xC0, 0x80 }, "\",\"email\":\"", new byte[] { 0xFF, 0xFE }, "\",\"password\":\"", new byte[] { 0xE0, 0x80, 0x80 },
            "\",\"newMasterKey\":\"", new byte[] { 0xC0, 0xAF }, "\"}"),
    };

    /// <summary>A secret or environment value may be a JSON string: the string kinds as one string.</summary>
    private static readonly Dictionary<string, byte[]> StringBodies = new()
    {
        ["a lone surrogate"] = Encoding.UTF8.GetBytes("\"long enough \\ud800 value\""),
        ["invalid or overlong UTF-8"] = Bytes("\"long enough ", new byte[] { 0xC0, 0x80 }, " value\""),
    };

    [Fact]
    public async Task No_bad_body_gets_a_5xx_from_any_caller_and_a_caller_let_through_gets_a_400_naming_the_json_path()
    {
        var password = "correct horse battery staple";
        var email = $"{Guid.NewGuid().ToString("N")[..10]}@example.test";
        (await fixture.Client.PutAsync($"/api/users/{email}", new JsonObject { ["roles"] = new JsonArray("USER"), ["password"] = password })).ShouldBe(HttpStatusCode.OK);
        using var user = new BatonClient(fixture.Server.BaseUrl, new JsonObject { ["email"] = email, ["password"] = password });
        using var anonymous = new BatonClient(fixture.Server.BaseUrl);
        (await user.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK); // signed in before the bad bodies
        var callers = new (string Name, BatonClient Client)[] { ("anonymous", anonymous), ("a USER", user), ("admin", fixture.Client) };

        var failures = new List<string>();
        foreach (var route in Routes)
        {
            var (method, path) = (route.Split(' ')[0], route.Split(' ')[1]);
            var bodies = path.StartsWith("/api/secrets", StringComparison.Ordinal) || path.StartsWith("/api/environment", StringComparison.Ordinal) ? Bodies.Concat(StringBodies) : Bodies;
            foreach (var (kind, body) in bodies)
            {
                foreach (var (who, client) in callers)
                {
                    var target = path.Replace("{unique}", Guid.NewGuid().ToString("N")[..10], StringComparison.Ordinal);
                    using var request = new HttpRequestMessage(new HttpMethod(method), target) { Content = new ByteArrayContent(body) };
                    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                    using var response = await client.Http.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    var status = (int)response.StatusCode;
                    var what = $"{route} with {kind} as {who}: {status} {text}";
                    if (status >= 500) failures.Add(what);
                    else if (status == 400 && !NamesAJsonPath(text)) failures.Add($"{what} (a 400 names the JSON path)");
                    else if (who == "admin" && status != 400) failures.Add($"{what} (expected 400)");

                    using var live = await anonymous.Http.GetAsync(new Uri("/health/live", UriKind.Relative));
                    Assert.True(live.StatusCode == HttpStatusCode.OK, $"the server did not answer after {what}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Text as UTF-8 and byte arrays as they are, one after the other.</summary>
    private static byte[] Bytes(params object[] parts) =>
        [.. parts.SelectMany(p => p is string text ? Encoding.UTF8.GetBytes(text) : (byte[])p)];

    private static bool NamesAJsonPath(string text) =>
        JsonNode.Parse(text)?["validationErrors"] is JsonArray { Count: > 0 } problems
        && problems.All(p => p?["path"]?.GetValue<string>().StartsWith('$') == true && p["message"]?.GetValue<string>().Length > 0);
}
