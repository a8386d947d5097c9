using Baton.Access.Model;

namespace Baton.Access.Store;

/// <summary>
/// Where users, groups, applications, access keys and grants live. Small enough to load whole at start; every
/// change is one atomic write, so nothing is ever half-applied. Implemented once per storage provider and held to
/// the compliance suite.
/// </summary>
public interface IAccessStore
{
    Task<AccessData> LoadAsync(CancellationToken ct = default);

    /// <summary>Applies every part of <paramref name="change"/> in one transaction; durable when it returns.</summary>
    Task SaveAsync(AccessChange change, CancellationToken ct = default);

    /// <summary>
    /// Stores <paramref name="user"/> only if there is no user at all (the first administrator); false when there was
    /// one, e.g. another node sharing the store created it first.
    /// </summary>
    Task<bool> CreateFirstUserAsync(User user, CancellationToken ct = default);
}

/// <summary>One atomic change to the access model. Upserts replace the whole record by id.</summary>
public sealed class AccessChange
{
    public List<User> UpsertUsers { get; } = [];
    public List<string> DeleteUsers { get; } = [];
    public List<Group> UpsertGroups { get; } = [];
    public List<string> DeleteGroups { get; } = [];
    public List<Application> UpsertApplications { get; } = [];
    public List<string> DeleteApplications { get; } = [];
    public List<AccessKey> UpsertKeys { get; } = [];
    public List<string> DeleteKeys { get; } = [];
    /// <summary>Grants to add; a grant for a subject and target that exists already has its rights replaced.</summary>
    public List<Grant> PutGrants { get; } = [];
    /// <summary>Subject and target pairs whose grant is removed whole.</summary>
    public List<(Subject Subject, Target Target)> DeleteGrants { get; } = [];

    public bool IsEmpty =>
        UpsertUsers.Count + DeleteUsers.Count + UpsertGroups.Count + DeleteGroups.Count + UpsertApplications.Count
        + DeleteApplications.Count + UpsertKeys.Count + DeleteKeys.Count + PutGrants.Count + DeleteGrants.Count == 0;
}
