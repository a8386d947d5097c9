using System.Security.Cryptography;
using System.Text;
using Baton.Access.Model;
using Baton.Access.Store;
using Baton.Access.Tokens;
using Microsoft.AspNetCore.Identity;

namespace Baton.Access.Service;

/// <summary>
/// <c>POST /api/token</c>: checks an access key or an email and password in constant time, throttles repeated
/// failures per identity and per client address (counted in the store, so every node sharing it counts the same
/// guesses), audits every failure, and issues a token naming the principal's immutable id and credential epoch (an
/// application's id and key).
/// </summary>
public sealed class SignIn(AccessControl access, TokenService tokens, ISignInFailureStore failures, TimeProvider time)
{
    // Verified against when the email is unknown, so that an unknown email costs what a wrong password costs.
    private static readonly string DummyHash = new PasswordHasher<User>().HashPassword(null!, "baton-no-such-user");
    private static readonly byte[] DummyKeyHash = new byte[32];

    private readonly PasswordHasher<User> _hasher = new();

    public async Task<SignInResult> WithKeyAsync(string keyId, string keySecret, long? expirationMs, string client, CancellationToken ct)
    {
        var keys = FailureKeys.Of(keyId, client);
        var standing = await StandingAsync(keys, ct);
        if (standing.Wait is { } wait) return await RefuseAsync("key " + keyId, client, wait, ct);
        var model = access.Model;
        var key = model.Keys.GetValueOrDefault(keyId);
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(keySecret));
        var matches = CryptographicOperations.FixedTimeEquals(presented, key?.SecretHash ?? DummyKeyHash) && key is not null;
        if (!matches || !key!.Active || !model.Applications.ContainsKey(key.ApplicationId))
        {
            return await FailAsync(keys, client, "key " + keyId, key is { Active: false } && matches ? "the key is paused" : "unknown key or wrong secret", ct);
        }
        if (standing.IdentityFailed) await failures.ForgetAsync(keys.Identity, ct);
        var principal = Principal.ApplicationPrefix + key.ApplicationId;
        await access.AuditAsync("sign-in", "ok", principal, $"access key {keyId} from {client}", ct);
        return SignInResult.Ok(tokens.Issue(principal, key.ApplicationId, 0, key.Id, Lifetime(expirationMs)));
    }

    public async Task<SignInResult> WithPasswordAsync(string email, string password, long? expirationMs, string client, CancellationToken ct)
    {
        var keys = FailureKeys.Of(email, client);
        var standing = await StandingAsync(keys, ct);
        if (standing.Wait is { } wait) return await RefuseAsync(email, client, wait, ct);
        var user = access.Model.Users.GetValueOrDefault(email);
        var verdict = _hasher.VerifyHashedPassword(user!, user?.PasswordHash ?? DummyHash, password);
        if (user?.PasswordHash is null || verdict == PasswordVerificationResult.Failed)
        {
            return await FailAsync(keys, client, email, "unknown user or wrong password", ct);
        }
        if (standing.IdentityFailed) await failures.ForgetAsync(keys.Identity, ct);
        await access.AuditAsync("sign-in", "ok", user.Id, $"password from {client}", ct);
        return SignInResult.Ok(tokens.Issue(user.Id, user.Uid, user.CredentialEpoch, null, Lifetime(expirationMs)));
    }

    /// <summary>Orkes' <c>expiration</c> (ms; zero or negative asks for the longest) within the configured maximum.</summary>
    private TimeSpan Lifetime(long? expirationMs)
    {
        var max = access.Options.MaxTokenLifetime;
        if (expirationMs is not { } ms) return access.Options.TokenLifetime < max ? access.Options.TokenLifetime : max;
        if (ms <= 0) return max;
        var asked = TimeSpan.FromMilliseconds(ms);
        return asked < max ? asked : max;
    }

    // ---- throttling ----------------------------------------------------------------------------------------------

    /// <summary>
    /// What a failure counts against: the identity tried (an email without case, or a key id) and the client address.
    /// Stored as hashes: a password typed into the email field must not be kept, and no key is longer than a hash.
    /// </summary>
    private sealed record FailureKeys(string Identity, string Client)
    {
        public static FailureKeys Of(string identity, string client) =>
            new(Hash("id:" + identity.ToUpperInvariant()), Hash("ip:" + client));

        public string[] Both => [Identity, Client];

        private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>How long the client must wait before trying (null: not at all), and whether the identity failed lately.</summary>
    private sealed record Standing(TimeSpan? Wait, bool IdentityFailed);

    private async Task<Standing> StandingAsync(FailureKeys keys, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var options = access.Options;
        long until = 0;
        var identityFailed = false;
        foreach (var tally in await failures.CountAsync(keys.Both, now - (long)options.FailureWindow.TotalMilliseconds, ct))
        {
            identityFailed |= tally.Key == keys.Identity;
            // A client address may fail more often than one identity: several people may share it.
            var allowed = tally.Key == keys.Client ? options.FailuresBeforeThrottle * 4 : options.FailuresBeforeThrottle;
            if (tally.Count < allowed) continue;
            // 1 s after the last allowed failure, doubling with each further one, up to the maximum.
            var exponent = Math.Min(tally.Count - allowed, 20);
            var wait = Math.Min(1000L << exponent, (long)options.MaxThrottle.TotalMilliseconds);
            until = Math.Max(until, tally.LastAt + wait);
        }
        return new Standing(until > now ? TimeSpan.FromMilliseconds(until - now) : null, identityFailed);
    }

    private async Task<SignInResult> FailAsync(FailureKeys keys, string client, string who, string why, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await failures.RecordAsync(keys.Both, now, now - (long)access.Options.FailureWindow.TotalMilliseconds, ct);
        await access.AuditAsync("sign-in", "denied", null, $"{who} from {client}: {why}", ct);
        return SignInResult.Denied;
    }

    private async Task<SignInResult> RefuseAsync(string who, string client, TimeSpan wait, CancellationToken ct)
    {
        await access.AuditAsync("sign-in", "throttled", null, $"{who} from {client}: too many failed sign-ins", ct);
        return SignInResult.Throttle(wait);
    }
}

public sealed record SignInResult(IssuedToken? Token, TimeSpan? RetryAfter)
{
    public static SignInResult Denied { get; } = new(null, null);

    public static SignInResult Ok(IssuedToken token) => new(token, null);

    public static SignInResult Throttle(TimeSpan wait) => new(null, wait);
}
