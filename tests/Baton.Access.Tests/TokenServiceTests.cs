using Baton.Access.Tokens;

namespace Baton.Access.Tests;

/// <summary>
/// The token check, including the memory of tokens already found valid: only the exact text of a checked token is
/// remembered, so nothing forged or altered rides on it, and a remembered token still expires when it says.
/// </summary>
public sealed class TokenServiceTests
{
    private readonly TokenService _tokens = new(new byte[32], TimeProvider.System);

    [Fact]
    public async Task A_valid_token_names_its_principal_and_key_every_time_it_is_checked()
    {
        var token = _tokens.Issue("app:worker-1", "worker-1", 0, "key-1", TimeSpan.FromMinutes(5)).Text;

        var first = await _tokens.CheckAsync(token);
        var second = await _tokens.CheckAsync(token);

        Assert.Equal(new TokenCheck(TokenStatus.Valid, "app:worker-1", "worker-1", 0, "key-1"), first);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task A_users_token_names_the_users_immutable_id_and_credential_epoch()
    {
        var token = _tokens.Issue("ana@example.com", "uid-ana", 7, null, TimeSpan.FromMinutes(5)).Text;

        Assert.Equal(new TokenCheck(TokenStatus.Valid, "ana@example.com", "uid-ana", 7, null), await _tokens.CheckAsync(token));
    }

    [Fact]
    public void An_issued_token_says_when_it_expires_in_the_whole_seconds_it_carries()
    {
        var issued = _tokens.Issue("ana@example.com", "uid-ana", 0, null, TimeSpan.FromSeconds(90.5));

        Assert.Equal(0, issued.ExpiresAt.ToUnixTimeMilliseconds() % 1000);
        Assert.InRange(issued.ExpiresInSeconds, 89, 90);
        Assert.InRange(issued.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(80), TimeSpan.FromSeconds(91));
    }

    [Fact]
    public async Task A_token_altered_after_a_valid_check_is_invalid()
    {
        var token = _tokens.Issue("ana@example.com", "uid-ana", 3, null, TimeSpan.FromMinutes(5)).Text;
        Assert.Equal(TokenStatus.Valid, (await _tokens.CheckAsync(token)).Status);
        var last = token[^2] == 'A' ? 'B' : 'A';

        Assert.Equal(TokenStatus.Invalid, (await _tokens.CheckAsync(token[..^2] + last + token[^1])).Status);
        Assert.Equal(TokenStatus.Invalid, (await _tokens.CheckAsync(token + "x")).Status);
        Assert.Equal(TokenStatus.Invalid, (await new TokenService(new byte[] { 1 }.Concat(new byte[31]).ToArray(), TimeProvider.System).CheckAsync(token)).Status);
    }

    [Fact]
    public async Task A_remembered_token_still_expires_when_it_says()
    {
        // A token's expiry is in whole seconds, cut down: two seconds leave at least one for the first check.
        var token = _tokens.Issue("ana@example.com", "uid-ana", 0, null, TimeSpan.FromSeconds(2)).Text;
        Assert.Equal(TokenStatus.Valid, (await _tokens.CheckAsync(token)).Status);

        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal(TokenStatus.Expired, (await _tokens.CheckAsync(token)).Status);
        Assert.Equal(TokenStatus.Expired, (await _tokens.CheckAsync(token)).Status);
    }
}
