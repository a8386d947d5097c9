using Baton.Secrets.Store;

namespace Baton.Secrets.Service;

/// <summary>
/// The one policy the vault asks before a value leaves it or a secret changes. The access model implements it; the
/// vault knows nothing else of principals.
/// </summary>
public interface ISecretUsePolicy
{
    /// <summary>
    /// Why a hand-off may not give this secret (null: it may). Three rules, all of them: the run's principal holds
    /// READ or EXECUTE on it; the definition's author may READ it, or someone who may has bound it to that exact
    /// definition; and a worker receiving it holds READ or EXECUTE on it.
    /// </summary>
    /// <param name="tags">
    /// The secret's tags now (a tag grant may allow it). The vault never changes such a list in place, it passes a new
    /// one when the tags change: an answer may be remembered for as long as the same list is passed.
    /// </param>
    string? UseRefusal(ResolutionContext context, string secret, IReadOnlyList<SecretTag> tags);

    /// <summary>Why <paramref name="principal"/> may not write a new version (null: it may): UPDATE when the name is taken, CREATE when it is new.</summary>
    string? WriteRefusal(string? principal, string secret, bool exists, IReadOnlyList<SecretTag> tags);

    /// <summary>A principal created a secret: it gets every right on it.</summary>
    Task SecretCreatedAsync(string principal, string secret, CancellationToken ct);

    /// <summary>A secret was purged: every grant and binding on its name goes, so a later secret of that name starts afresh.</summary>
    Task SecretPurgedAsync(string secret, CancellationToken ct);
}
