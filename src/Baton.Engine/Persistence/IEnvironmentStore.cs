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

/// <summary>Builds environment values from rows of a join with their tags (one row per tag, ordered by name).</summary>
public static class EnvironmentValueRows
{
    /// <summary>Adds one row: a new value when the name changes, and the row's tag (when it has one) to the current value.</summary>
    public static void Add(List<EnvironmentValue> values, string name, string value, string? tagKey, string? tagValue)
    {
        if (values.Count == 0 || values[^1].Name != name) values.Add(new EnvironmentValue(name, value, new List<SecretTag>()));
        if (tagKey is not null) ((List<SecretTag>)values[^1].Tags).Add(new SecretTag(tagKey, tagValue!));
    }
}
