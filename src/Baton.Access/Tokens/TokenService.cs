using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Baton.Access.Tokens;

/// <summary>
/// Issues and checks the API's tokens: HS256 JWTs signed with a key derived from the secrets keyring (so they
/// survive a restart and die with the installation). A token names its principal, the principal's immutable id and
/// credential epoch and, for an application, the access key it was made from; <see cref="TokenCheck.HolderIn"/>
/// holds these against the current access model on every request, so deleting the principal, changing its
/// password, or pausing or deleting the key ends the token at once.
/// </summary>
public sealed class TokenService(byte[] signingKey, TimeProvider time)
{
    public const string Issuer = "baton";
    private const string KeyIdClaim = "kid";
    private const string UidClaim = "uid";
    private const string EpochClaim = "epoch";

    /// <summary>How many checked tokens are remembered; past it the memory is emptied and refills as tokens come back.</summary>
    private const int MaxRemembered = 10_000;

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>
    /// Tokens already found valid, by their exact text, with their expiry. A token cannot change, and its signature
    /// covers every byte of it, so until it expires checking it again gives the same answer; the full check (parse,
    /// HMAC, claims) was the largest part of what authentication cost per request. Whether its principal and key
    /// are still live is not remembered: the caller asks the access model on every request.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (TokenCheck Check, DateTime ValidTo)> _valid = new(StringComparer.Ordinal);
    private readonly SymmetricSecurityKey _key = new(signingKey);

    /// <summary>
    /// A token for the principal <paramref name="principalId"/> whose immutable id is <paramref name="principalUid"/>
    /// at credential epoch <paramref name="credentialEpoch"/>; <paramref name="accessKeyId"/> for an application.
    /// </summary>
    public IssuedToken Issue(string principalId, string principalUid, long credentialEpoch, string? accessKeyId, TimeSpan lifetime)
    {
        var now = time.GetUtcNow().UtcDateTime;
        // The token carries its expiry in whole seconds, cut down; say what it carries.
        var expires = DateTime.UnixEpoch.AddSeconds(Math.Floor((now + lifetime - DateTime.UnixEpoch).TotalSeconds));
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = principalId,
            [UidClaim] = principalUid,
            [EpochClaim] = credentialEpoch,
        };
        if (accessKeyId is not null) claims[KeyIdClaim] = accessKeyId;
        var text = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Issuer,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        });
        return new IssuedToken(text, new DateTimeOffset(expires, TimeSpan.Zero), now);
    }

    /// <summary>Checks signature, issuer, audience and lifetime (no clock skew: a token ends when it says).</summary>
    public async Task<TokenCheck> CheckAsync(string token)
    {
        if (_valid.TryGetValue(token, out var known))
        {
            // The same rule as the full check's lifetime validation (no clock skew, the system clock).
            if (DateTime.UtcNow < known.ValidTo) return known.Check;
            _valid.TryRemove(token, out _);
        }
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Issuer,
            IssuerSigningKey = _key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.Zero,
            RequireExpirationTime = true,
        });
        // A token without the immutable id and epoch (made before they existed) is invalid: its holder signs in again.
        if (result.IsValid
            && result.ClaimsIdentity.FindFirst(JwtRegisteredClaimNames.Sub)?.Value is { Length: > 0 } sub
            && result.ClaimsIdentity.FindFirst(UidClaim)?.Value is { Length: > 0 } uid
            && long.TryParse(result.ClaimsIdentity.FindFirst(EpochClaim)?.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var epoch))
        {
            var check = new TokenCheck(TokenStatus.Valid, sub, uid, epoch, result.ClaimsIdentity.FindFirst(KeyIdClaim)?.Value);
            if (_valid.Count >= MaxRemembered) _valid.Clear();
            _valid[token] = (check, result.SecurityToken.ValidTo);
            return check;
        }
        return new TokenCheck(result.Exception is SecurityTokenExpiredException ? TokenStatus.Expired : TokenStatus.Invalid, null, null, 0, null);
    }
}
