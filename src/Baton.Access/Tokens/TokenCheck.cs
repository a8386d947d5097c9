using Baton.Access.Model;
using Baton.Access.Service;

namespace Baton.Access.Tokens;

public enum TokenStatus
{
    Valid,
    Invalid,
    Expired,
}

/// <summary>
/// What a token's signature vouches for: its principal, the principal's immutable id and credential epoch when the
/// token was issued, and for an application the access key it was made from. That the signature holds can be
/// remembered; whether the principal still holds those credentials cannot, and <see cref="HolderIn"/> asks it of
/// the current snapshot on every request.
/// </summary>
public sealed record TokenCheck(TokenStatus Status, string? PrincipalId, string? PrincipalUid, long CredentialEpoch, string? AccessKeyId)
{
    /// <summary>
    /// The token's principal as <paramref name="model"/> has it, or null when the token no longer stands: the user
    /// was deleted (a user with the same email since is another uid) or its credentials changed since (another
    /// epoch); the application was deleted, or the key was paused, deleted or is not the application's.
    /// </summary>
    public Principal? HolderIn(AccessModel model)
    {
        if (Status != TokenStatus.Valid || PrincipalId is null) return null;
        if (PrincipalId.StartsWith(Principal.ApplicationPrefix, StringComparison.Ordinal))
        {
            var applicationId = PrincipalId[Principal.ApplicationPrefix.Length..];
            var keyStands = AccessKeyId is not null
                && model.Keys.GetValueOrDefault(AccessKeyId) is { Active: true } key
                && key.ApplicationId == applicationId
                && PrincipalUid == applicationId;
            return keyStands ? model.PrincipalOf(PrincipalId) : null;
        }
        var userStands = AccessKeyId is null
            && model.Users.GetValueOrDefault(PrincipalId) is { } user
            && user.Uid == PrincipalUid
            && user.CredentialEpoch == CredentialEpoch;
        return userStands ? model.PrincipalOf(PrincipalId) : null;
    }
}
