using Baton.Secrets.Store;

namespace Baton.Engine.Persistence;

/// <summary>An environment value (Orkes): not a secret, not masked, resolved when a task is scheduled.</summary>
public sealed record EnvironmentValue(string Name, string Value, IReadOnlyList<SecretTag> Tags);

/// <summary>Where environment values live.</summary>
public interface IEnvironmentStore
{
    Task<EnvironmentValue?> GetAsync(string name, CancellationToken ct = default);
    Task<IReadOnlyList<EnvironmentValue>> ListAsync(CancellationToken ct = default);
    Task PutAsync(string name, string value, CancellationToken ct = default);
    /// <returns>The deleted value, or null when there was none.</returns>
    Task<string?> DeleteAsync(string name, CancellationToken ct = default);
    Task SetTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct = default);
    Task RemoveTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct = default);
}
