using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Baton.Access.Model;
using Baton.Access.Tokens;
using Microsoft.AspNetCore.Identity;

namespace Baton.Access.Service;

/// <summary>
/// <c>POST /api/token</c>: checks an access key or an email and password in constant time, throttles repeated
/// failures per identity and per client address, audits every failure, and issues a token naming the principal's
/// immutable id and credential epoch (an application's id and key).
/// </summary>
public sealed class SignIn(AccessControl access, TokenService tokens, TimeProvider time)
{
    // Verified against when the email is unknown, so that an unknown email costs what a wrong password costs.
    private static readonly string DummyHash = new PasswordHasher<User>().HashPassword(null!, "baton-no-such-user");
    private static readonly byte[] DummyKeyHash = new byte[32];

    private readonly PasswordHasher<User> _hasher = new();
    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.OrdinalIgnoreCase);

    public async Task<SignInResult> WithKeyAsync(string keyId, string keySecret, long? expirationMs, string client, CancellationToken ct)
    {
        if (Throttled(keyId, client) is { } wait) return await RefuseAsync("key " + keyId, client, wait, ct);
        var model = access.Model;
        var key = model.Keys.GetValueOrDefault(keyId);
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(keySecret));
        var matches = CryptographicOperations.FixedTimeEquals(presented, key?.SecretHash ?? DummyKeyHash) && key is not null;
        if (!matches || !key!.Active || !model.Applications.ContainsKey(key.ApplicationId))
        {
            return await FailAsync(keyId, client, "key " + keyId, key is { Active: false } && matches ? "the key is paused" : "unknown key or wrong secret", ct);
        }
        Succeeded(keyId);
        var principal = Principal.ApplicationPrefix + key.ApplicationId;
        await access.AuditAsync("sign-in", "ok", principal, $"access key {keyId} from {client}", ct);
        return SignInResult.Ok(tokens.Issue(principal, key.ApplicationId, 0, key.Id, Lifetime(expirationMs)));
    }

    public async Task<SignInResult> WithPasswordAsync(string email, string password, long? expirationMs, string client, CancellationToken ct)
    {
        if (Throttled(email, client) is { } wait) return await RefuseAsync(email, client, wait, ct);
        var user = access.Model.Users.GetValueOrDefault(email);
        var verdict = _hasher.VerifyHashedPassword(user!, user?.PasswordHash ?? DummyHash, password);
        if (user?.PasswordHash is null || verdict == PasswordVerificationResult.Failed)
        {
            return await FailAsync(email, client, email, "unknown user or wrong password", ct);
        }
        Succeeded(email);
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

    private sealed class Failures
    {
        public int Count;
        public long FirstAt;
        public long BlockedUntil;
    }

    private TimeSpan? Throttled(string identity, string client)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        long until = 0;
        foreach (var key in Keys(identity, client))
        {
            if (_failures.TryGetValue(key, out var f))
            {
                lock (f) until = Math.Max(until, f.BlockedUntil);
            }
        }
        return until > now ? TimeSpan.FromMilliseconds(until - now) : null;
    }

    private async Task<SignInResult> FailAsync(string identity, string client, string who, string why, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var options = access.Options;
        foreach (var key in Keys(identity, client))
        {
            var f = _failures.GetOrAdd(key, _ => new Failures());
            lock (f)
            {
                if (now - f.FirstAt > options.FailureWindow.TotalMilliseconds)
                {
                    f.Count = 0;
                    f.FirstAt = now;
                }
                f.Count++;
                // A client address may fail more often than one identity: several people may share it.
                var allowed = key.StartsWith("ip:", StringComparison.Ordinal) ? options.FailuresBeforeThrottle * 4 : options.FailuresBeforeThrottle;
                if (f.Count >= allowed)
                {
                    // 1 s after the last allowed failure, doubling with each further one, up to the maximum.
                    var exponent = Math.Min(f.Count - allowed, 20);
                    var wait = Math.Min(1000L << exponent, (long)options.MaxThrottle.TotalMilliseconds);
                    f.BlockedUntil = now + wait;
                }
            }
        }
        Prune(now);
        await access.AuditAsync("sign-in", "denied", null, $"{who} from {client}: {why}", ct);
        return SignInResult.Denied;
    }

    private async Task<SignInResult> RefuseAsync(string who, string client, TimeSpan wait, CancellationToken ct)
    {
        await access.AuditAsync("sign-in", "throttled", null, $"{who} from {client}: too many failed sign-ins", ct);
        return SignInResult.Throttle(wait);
    }

    private void Succeeded(string identity) => _failures.TryRemove("id:" + identity, out _);

    private static string[] Keys(string identity, string client) => ["id:" + identity, "ip:" + client];

    private void Prune(long now)
    {
        if (_failures.Count < 10_000) return;
        var window = (long)access.Options.FailureWindow.TotalMilliseconds;
        foreach (var (key, f) in _failures)
        {
            bool stale;
            lock (f) stale = now - f.FirstAt > window && f.BlockedUntil < now;
            if (stale) _failures.TryRemove(key, out _);
        }
    }
}

public sealed record SignInResult(IssuedToken? Token, TimeSpan? RetryAfter)
{
    public static SignInResult Denied { get; } = new(null, null);

    public static SignInResult Ok(IssuedToken token) => new(token, null);

    public static SignInResult Throttle(TimeSpan wait) => new(null, wait);
}
