using Baton.Secrets.Store;

namespace Baton.Secrets.Service;

/// <summary>
/// The one permission check of a hand-off: may the principal who started a run use this secret now? The vault
/// asks it for every secret of every hand-off, before anything of the value is touched.
/// </summary>
public interface ISecretUsePolicy
{
    /// <param name="principal">The run's principal (null for a run without one: refused).</param>
    /// <param name="tags">
    /// The secret's tags now (a tag grant may allow it). The vault never changes such a list in place, it passes a new
    /// one when the tags change: an answer may be remembered for as long as the same list is passed.
    /// </param>
    bool MayUse(string? principal, string secret, IReadOnlyList<SecretTag> tags);
}
