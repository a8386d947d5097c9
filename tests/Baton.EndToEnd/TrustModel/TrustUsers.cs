using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.TrustModel;

/// <summary>
/// Ordinary users for the trust-model tests: each test signs in as several principals with the fewest rights that
/// let them reach what they attack, and the administrator only sets the scene.
/// </summary>
public sealed class TrustUsers(ServerFixture fixture) : IDisposable
{
    private readonly List<BatonClient> _clients = [];

    public BatonClient Admin => fixture.Client;

    /// <summary>A new user with <paramref name="roles"/>, signed in.</summary>
    public async Task<(string Email, BatonClient Client)> UserAsync(params string[] roles)
    {
        var email = $"{Guid.NewGuid().ToString("N")[..10]}@example.test";
        const string password = "correct horse battery staple";
        (await Admin.PutAsync($"/api/users/{email}", new JsonObject
        {
            ["name"] = "Trust test user",
            ["roles"] = new JsonArray([.. roles.Select(r => (JsonNode)r)]),
            ["password"] = password,
        })).ShouldBe(HttpStatusCode.OK);
        var client = new BatonClient(fixture.Server.BaseUrl, new JsonObject { ["email"] = email, ["password"] = password });
        _clients.Add(client);
        return (email, client);
    }

    /// <summary>A new application with <paramref name="roles"/>, signed in with a fresh access key; its user id is <c>app:&lt;id&gt;</c>.</summary>
    public async Task<(string Id, BatonClient Client)> ApplicationAsync(params string[] roles)
    {
        var id = (await Admin.PostAsync("/api/applications", new JsonObject { ["name"] = Defs.Unique("worker") })).Object["id"]!.GetValue<string>();
        foreach (var role in roles) (await Admin.PostAsync($"/api/applications/{id}/roles/{role}")).ShouldBe(HttpStatusCode.OK);
        var key = (await Admin.PostAsync($"/api/applications/{id}/accessKeys")).Object;
        var client = new BatonClient(fixture.Server.BaseUrl, new JsonObject { ["keyId"] = key["id"]!.DeepClone(), ["keySecret"] = key["secret"]!.DeepClone() });
        _clients.Add(client);
        return ("app:" + id, client);
    }

    public async Task GrantAsync(string userId, string targetType, string targetId, params string[] access) =>
        (await Admin.PostAsync("/api/auth/authorization", new JsonObject
        {
            ["subject"] = new JsonObject { ["type"] = "USER", ["id"] = userId },
            ["target"] = new JsonObject { ["type"] = targetType, ["id"] = targetId },
            ["access"] = new JsonArray([.. access.Select(a => (JsonNode)a)]),
        })).ShouldBe(HttpStatusCode.OK);

    /// <summary>Registers a definition as <paramref name="client"/> (PUT: create or update).</summary>
    public static async Task SaveAsync(BatonClient client, JsonObject def) =>
        (await client.PutAsync("/api/metadata/workflow", new JsonArray(def.DeepClone()))).ShouldBe(HttpStatusCode.OK);

    /// <summary>Runs version 1 of a definition to its end as <paramref name="client"/>.</summary>
    public static async Task<JsonObject> RunAsync(BatonClient client, string workflow, JsonObject? input = null)
    {
        var reply = await client.PostAsync($"/api/workflow/execute/{workflow}/1", new JsonObject { ["input"] = input ?? new JsonObject() });
        reply.ShouldBe(HttpStatusCode.OK);
        return reply.Object;
    }

    /// <summary>Whether the echo peer ever received <paramref name="value"/>.</summary>
    public bool PeerSaw(string value) => fixture.Peer.Requests.Any(r => r.ToJsonString().Contains(value, StringComparison.Ordinal));

    public string PeerUrl => fixture.Peer.BaseUrl;

    public static string Value(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static string Reason(JsonObject run, int task = 0) => run["tasks"]![task]!["reasonForIncompletion"]?.GetValue<string>() ?? "";

    public void Dispose()
    {
        foreach (var client in _clients) client.Dispose();
    }
}
