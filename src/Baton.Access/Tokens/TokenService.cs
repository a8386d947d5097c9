using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Baton.Access.Tokens;

/// <summary>
/// Issues and checks the API's tokens: HS256 JWTs signed with a key derived from the secrets keyring (so they
/// survive a restart and die with the installation). A token names its principal and, for an application, the
/// access key it was made from, so that pausing the key or removing the principal ends the token at once.
/// </summary>
public sealed class TokenService(byte[] signingKey, TimeProvider time)
{
    public const string Issuer = "baton";
    private const string KeyIdClaim = "kid";

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

    public string Issue(string principalId, string? accessKeyId, TimeSpan lifetime)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Sub] = principalId };
        if (accessKeyId is not null) claims[KeyIdClaim] = accessKeyId;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Issuer,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        });
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
        if (result.IsValid && result.ClaimsIdentity.FindFirst(JwtRegisteredClaimNames.Sub)?.Value is { Length: > 0 } sub)
        {
            var check = new TokenCheck(TokenStatus.Valid, sub, result.ClaimsIdentity.FindFirst(KeyIdClaim)?.Value);
            if (_valid.Count >= MaxRemembered) _valid.Clear();
            _valid[token] = (check, result.SecurityToken.ValidTo);
            return check;
        }
        return new TokenCheck(result.Exception is SecurityTokenExpiredException ? TokenStatus.Expired : TokenStatus.Invalid, null, null);
    }
}

public enum TokenStatus
{
    Valid,
    Invalid,
    Expired,
}

public sealed record TokenCheck(TokenStatus Status, string? PrincipalId, string? AccessKeyId);
