using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.TrustModel;

/// <summary>
/// Issue 13 finding 9: a token dies with the credentials it was made from. A user's token names the user's
/// immutable id and credential epoch, so deleting the user (even if the email comes back as a new user) or changing
/// the password ends it; an application's token names its key, so pausing or deleting the key or the application
/// ends it. Issue 14: the sign-in answer says when the token expires.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class TokenRevocationTests(ServerFixture fixture) : IDisposable
{
    private const string Password = "correct horse battery staple";
    private const string NewPassword = "a different but long passphrase";

    private readonly BatonClient _admin = fixture.Client;
    private readonly List<BatonClient> _clients = [];

    public void Dispose()
    {
        foreach (var client in _clients) client.Dispose();
    }

    private async Task<string> PutUserAsync(string email, string password)
    {
        (await _admin.PutAsync($"/api/users/{email}", new JsonObject
        {
            ["name"] = "Token holder",
            ["roles"] = new JsonArray("USER"),
            ["password"] = password,
        })).ShouldBe(HttpStatusCode.OK);
        return email;
    }

    private BatonClient SignedIn(JsonObject credentials)
    {
        var client = new BatonClient(fixture.Server.BaseUrl, credentials);
        _clients.Add(client);
        return client;
    }

    private static JsonObject UserCredentials(string email, string password) => new() { ["email"] = email, ["password"] = password };

    private static string NewEmail() => $"{Guid.NewGuid().ToString("N")[..10]}@example.test";

    /// <summary>The client's token, kept, is refused as INVALID_TOKEN (the client never signs in again by itself).</summary>
    private static async Task AssertRefusedAsync(BatonClient holder)
    {
        var reply = await holder.GetAsync("/api/token/userInfo");
        reply.ShouldBe(HttpStatusCode.Unauthorized);
        Assert.Equal("INVALID_TOKEN", reply.Object["error"]!.GetValue<string>());
    }

    private async Task<(string AppId, JsonObject Credentials)> NewApplicationKeyAsync()
    {
        var app = (await _admin.PostAsync("/api/applications", new JsonObject { ["name"] = "token-holder" })).Object;
        var appId = app["id"]!.GetValue<string>();
        var key = (await _admin.PostAsync($"/api/applications/{appId}/accessKeys")).Object;
        return (appId, new JsonObject { ["keyId"] = key["id"]!.DeepClone(), ["keySecret"] = key["secret"]!.DeepClone() });
    }

    [Fact]
    public async Task A_deleted_users_token_stays_dead_when_a_new_user_gets_the_same_email()
    {
        var email = await PutUserAsync(NewEmail(), Password);
        var before = SignedIn(UserCredentials(email, Password));
        (await before.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);

        (await _admin.DeleteAsync($"/api/users/{email}")).ShouldBe(HttpStatusCode.OK);
        await AssertRefusedAsync(before);
        await PutUserAsync(email, Password);

        await AssertRefusedAsync(before);
        var after = SignedIn(UserCredentials(email, Password));
        Assert.Equal(email, (await after.GetAsync("/api/token/userInfo")).Object["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_password_change_ends_the_users_tokens_and_the_new_password_signs_in()
    {
        var email = await PutUserAsync(NewEmail(), Password);
        var holder = SignedIn(UserCredentials(email, Password));
        (await holder.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);

        // A change that is not a credential (the name) leaves the token working.
        (await _admin.PutAsync($"/api/users/{email}", new JsonObject { ["name"] = "Renamed" })).ShouldBe(HttpStatusCode.OK);
        (await holder.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);

        (await _admin.PutAsync($"/api/users/{email}", new JsonObject { ["password"] = NewPassword })).ShouldBe(HttpStatusCode.OK);

        await AssertRefusedAsync(holder);
        using var anonymous = new BatonClient(fixture.Server.BaseUrl);
        (await anonymous.PostAsync("/api/token", UserCredentials(email, Password))).ShouldBe(HttpStatusCode.Unauthorized);
        var renewed = SignedIn(UserCredentials(email, NewPassword));
        (await renewed.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Pausing_or_deleting_an_access_key_ends_the_tokens_made_from_it()
    {
        var (appId, credentials) = await NewApplicationKeyAsync();
        var keyId = credentials["keyId"]!.GetValue<string>();
        var paused = SignedIn(credentials);
        (await paused.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);
        (await _admin.PostAsync($"/api/applications/{appId}/accessKeys/{keyId}/status")).ShouldBe(HttpStatusCode.OK);
        await AssertRefusedAsync(paused);

        (await _admin.PostAsync($"/api/applications/{appId}/accessKeys/{keyId}/status")).ShouldBe(HttpStatusCode.OK);
        var deleted = SignedIn(credentials);
        (await deleted.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);
        (await _admin.DeleteAsync($"/api/applications/{appId}/accessKeys/{keyId}")).ShouldBe(HttpStatusCode.OK);
        await AssertRefusedAsync(deleted);

        // Another key of the same application keeps working: only the key's own tokens end.
        var other = (await _admin.PostAsync($"/api/applications/{appId}/accessKeys")).Object;
        var fresh = SignedIn(new JsonObject { ["keyId"] = other["id"]!.DeepClone(), ["keySecret"] = other["secret"]!.DeepClone() });
        (await fresh.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Deleting_an_application_ends_its_tokens()
    {
        var (appId, credentials) = await NewApplicationKeyAsync();
        var holder = SignedIn(credentials);
        (await holder.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);

        (await _admin.DeleteAsync($"/api/applications/{appId}")).ShouldBe(HttpStatusCode.OK);

        await AssertRefusedAsync(holder);
        using var anonymous = new BatonClient(fixture.Server.BaseUrl);
        (await anonymous.PostAsync("/api/token", credentials)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_sign_in_answer_says_when_the_token_expires()
    {
        var email = await PutUserAsync(NewEmail(), Password);
        using var anonymous = new BatonClient(fixture.Server.BaseUrl);
        var asked = UserCredentials(email, Password);
        asked["expiration"] = 600_000;
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var answer = (await anonymous.PostAsync("/api/token", asked)).Object;

        Assert.False(string.IsNullOrEmpty(answer["token"]!.GetValue<string>()));
        var expiresAt = answer["expiresAt"]!.GetValue<long>();
        var expiresIn = answer["expiresIn"]!.GetValue<long>();
        // The token's expiry is in whole seconds, cut down; the two fields agree with each other and with what was asked.
        Assert.InRange(expiresAt, before + 600_000 - 2_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 600_000);
        Assert.Equal(0, expiresAt % 1000);
        Assert.InRange(expiresIn, 598, 600);
    }
}
