using System.Text.Json;
using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Access.Store;
using Baton.Access.Tokens;

namespace Baton.Access.Tests;

/// <summary>
/// Whether a token whose signature holds still stands in the current model (issue 13 finding 9): a user's token
/// needs the same immutable id at the same credential epoch; an application's token needs its key, active and its own.
/// </summary>
public sealed class TokenHolderTests
{
    private const string Email = "ana@example.com";

    private static readonly User Ana = new() { Id = Email, Uid = "uid-ana", CredentialEpoch = 2, Roles = [Roles.User] };

    private static AccessModel Model(User? user = null, bool keyActive = true, string keyApplication = "worker-1") => new(new AccessData(
        user is null ? [] : [user],
        [],
        [new Application { Id = "worker-1", Name = "worker" }, new Application { Id = "worker-2", Name = "other" }],
        [new AccessKey { Id = "k1", ApplicationId = keyApplication, SecretHash = new byte[32], Active = keyActive }],
        []));

    private static TokenCheck UserToken(string uid = "uid-ana", long epoch = 2) => new(TokenStatus.Valid, Email, uid, epoch, null);

    private static TokenCheck AppToken(string keyId = "k1") => new(TokenStatus.Valid, "app:worker-1", "worker-1", 0, keyId);

    [Fact]
    public void A_users_token_stands_while_the_user_has_the_same_uid_and_epoch()
    {
        Assert.Equal(Email, UserToken().HolderIn(Model(Ana))?.Id);
        // The email is matched as the model matches it (case aside); the uid decides.
        Assert.Equal(Email, (UserToken() with { PrincipalId = "Ana@Example.com" }).HolderIn(Model(Ana))?.Id);
    }

    [Fact]
    public void A_users_token_does_not_stand_for_a_new_user_with_the_same_email()
    {
        Assert.Null(UserToken().HolderIn(Model()));
        Assert.Null(UserToken().HolderIn(Model(Ana with { Uid = User.NewUid(), CredentialEpoch = 2 })));
    }

    [Fact]
    public void A_users_token_from_another_credential_epoch_does_not_stand()
    {
        Assert.Null(UserToken(epoch: 1).HolderIn(Model(Ana)));
        Assert.Null(UserToken(epoch: 3).HolderIn(Model(Ana)));
    }

    [Fact]
    public void A_token_that_is_not_valid_or_names_a_key_for_a_user_does_not_stand()
    {
        Assert.Null((UserToken() with { Status = TokenStatus.Expired }).HolderIn(Model(Ana)));
        Assert.Null((UserToken() with { Status = TokenStatus.Invalid }).HolderIn(Model(Ana)));
        Assert.Null((UserToken() with { AccessKeyId = "k1" }).HolderIn(Model(Ana)));
    }

    [Fact]
    public void An_applications_token_stands_only_while_its_key_is_active_and_the_applications_own()
    {
        Assert.Equal("app:worker-1", AppToken().HolderIn(Model())?.Id);
        Assert.Null(AppToken().HolderIn(Model(keyActive: false)));
        Assert.Null(AppToken(keyId: "deleted").HolderIn(Model()));
        Assert.Null(AppToken().HolderIn(Model(keyApplication: "worker-2")));
        Assert.Null((AppToken() with { AccessKeyId = null }).HolderIn(Model()));
        Assert.Null((AppToken() with { PrincipalUid = "worker-2" }).HolderIn(Model()));
    }

    [Fact]
    public void A_new_user_uid_is_128_random_bits_never_the_same_twice()
    {
        var uids = Enumerable.Range(0, 100).Select(_ => User.NewUid()).ToHashSet();

        Assert.Equal(100, uids.Count);
        Assert.All(uids, uid => Assert.Equal(32, uid.Length));
    }

    [Fact]
    public void A_user_stored_before_uids_gets_the_same_uid_on_every_load_and_keeps_it_when_written()
    {
        const string Stored = """{"id":"old@example.com","roles":["USER"],"createdAt":1700000000000}""";
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };

        var first = JsonSerializer.Deserialize<User>(Stored, options)!;
        var second = JsonSerializer.Deserialize<User>(Stored, options)!;
        var rewritten = JsonSerializer.Deserialize<User>(JsonSerializer.Serialize(first with { Name = "Old" }, options), options)!;

        Assert.Equal(first.Uid, second.Uid);
        Assert.Equal(first.Uid, rewritten.Uid);
        Assert.Equal(0, first.CredentialEpoch);
        // Another user that once had the same email but another creation time is another uid.
        Assert.NotEqual(first.Uid, JsonSerializer.Deserialize<User>(Stored.Replace("1700000000000", "1700000000001", StringComparison.Ordinal), options)!.Uid);
    }
}
