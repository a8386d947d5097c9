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

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
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
            return new TokenCheck(TokenStatus.Valid, sub, result.ClaimsIdentity.FindFirst(KeyIdClaim)?.Value);
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
