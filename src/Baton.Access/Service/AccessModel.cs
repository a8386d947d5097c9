using Baton.Access.Model;
using Baton.Access.Store;

namespace Baton.Access.Service;

/// <summary>
/// One immutable snapshot of the access model, indexed for the checks. A change builds a new snapshot and swaps it
/// in whole, so a check never sees half a change and needs no lock.
/// </summary>
public sealed class AccessModel
{
    private readonly Dictionary<Subject, Dictionary<Target, AccessRight>> _bySubject = [];
    private readonly Dictionary<Target, Dictionary<Subject, AccessRight>> _byTarget = [];

    public AccessModel(AccessData data)
    {
        Users = data.Users.ToDictionary(u => u.Id, StringComparer.OrdinalIgnoreCase);
        Groups = data.Groups.ToDictionary(g => g.Id, StringComparer.Ordinal);
        Applications = data.Applications.ToDictionary(a => a.Id, StringComparer.Ordinal);
        Keys = data.Keys.ToDictionary(k => k.Id, StringComparer.Ordinal);
        foreach (var grant in data.Grants) Index(grant);
    }

    public static AccessModel Empty { get; } = new(new AccessData([], [], [], [], []));

    public IReadOnlyDictionary<string, User> Users { get; }
    public IReadOnlyDictionary<string, Group> Groups { get; }
    public IReadOnlyDictionary<string, Application> Applications { get; }
    public IReadOnlyDictionary<string, AccessKey> Keys { get; }

    public IEnumerable<Grant> Grants =>
        _bySubject.SelectMany(s => s.Value.Select(t => new Grant(s.Key, t.Key, t.Value)));

    /// <summary>The snapshot after <paramref name="change"/>, built the same way the store applies it.</summary>
    public AccessModel With(AccessChange change)
    {
        var users = Users.Values.ToDictionary(u => u.Id, StringComparer.OrdinalIgnoreCase);
        var groups = Groups.Values.ToDictionary(g => g.Id, StringComparer.Ordinal);
        var apps = Applications.Values.ToDictionary(a => a.Id, StringComparer.Ordinal);
        var keys = Keys.Values.ToDictionary(k => k.Id, StringComparer.Ordinal);
        var grants = Grants.ToDictionary(g => (g.Subject, g.Target), g => g.Access);
        foreach (var id in change.DeleteUsers) users.Remove(id);
        foreach (var u in change.UpsertUsers) users[u.Id] = u;
        foreach (var id in change.DeleteGroups) groups.Remove(id);
        foreach (var g in change.UpsertGroups) groups[g.Id] = g;
        foreach (var id in change.DeleteApplications) apps.Remove(id);
        foreach (var a in change.UpsertApplications) apps[a.Id] = a;
        foreach (var id in change.DeleteKeys) keys.Remove(id);
        foreach (var k in change.UpsertKeys) keys[k.Id] = k;
        foreach (var pair in change.DeleteGrants) grants.Remove(pair);
        foreach (var g in change.PutGrants) grants[(g.Subject, g.Target)] = g.Access;
        return new AccessModel(new AccessData(
            [.. users.Values], [.. groups.Values], [.. apps.Values], [.. keys.Values],
            [.. grants.Select(g => new Grant(g.Key.Subject, g.Key.Target, g.Value))]));
    }

    private void Index(Grant grant)
    {
        if (grant.Access == AccessRight.None) return;
        if (!_bySubject.TryGetValue(grant.Subject, out var targets)) _bySubject[grant.Subject] = targets = [];
        targets[grant.Target] = grant.Access;
        if (!_byTarget.TryGetValue(grant.Target, out var subjects)) _byTarget[grant.Target] = subjects = [];
        subjects[grant.Subject] = grant.Access;
    }

    // ---- principals ------------------------------------------------------------------------------------------

    /// <summary>
    /// The principal with this id as it stands now: a user by email, an application as <c>app:&lt;id&gt;</c>.
    /// Null when it no longer exists.
    /// </summary>
    public Principal? PrincipalOf(string? id)
    {
        if (string.IsNullOrEmpty(id)) return null;
        if (id.StartsWith(Principal.ApplicationPrefix, StringComparison.Ordinal))
        {
            if (!Applications.TryGetValue(id[Principal.ApplicationPrefix.Length..], out var app)) return null;
            return new Principal
            {
                Id = id,
                Name = app.Name,
                IsApplication = true,
                Roles = app.Roles,
                Subjects = [new Subject(SubjectTypes.User, id), .. app.Roles.Select(r => new Subject(SubjectTypes.Role, r))],
            };
        }
        if (!Users.TryGetValue(id, out var user)) return null;
        var roles = new List<string>(user.Roles);
        var groups = new List<string>();
        foreach (var groupId in user.Groups)
        {
            if (!Groups.TryGetValue(groupId, out var group)) continue;
            groups.Add(groupId);
            roles.AddRange(group.Roles.Where(r => !roles.Contains(r)));
        }
        return new Principal
        {
            Id = user.Id,
            Name = user.Name,
            Roles = roles,
            Groups = groups,
            Subjects =
            [
                new Subject(SubjectTypes.User, user.Id),
                .. groups.Select(g => new Subject(SubjectTypes.Group, g)),
                .. roles.Select(r => new Subject(SubjectTypes.Role, r)),
            ],
        };
    }

    // ---- checks ----------------------------------------------------------------------------------------------

    /// <summary>
    /// The rights <paramref name="principal"/> holds on <paramref name="target"/>: from its roles, from grants to
    /// it, its groups or its roles on the target itself, and from grants on any tag the target carries.
    /// </summary>
    public AccessRight RightsOn(Principal principal, Target target, IReadOnlyList<ResourceTag> tags)
    {
        var rights = AccessRight.None;
        foreach (var role in principal.Roles) rights |= Roles.ImpliedRights(role, target.Type);
        return rights | GrantedOn(principal, target, tags);
    }

    /// <summary>The rights that grants give (roles left out): what "an explicit grant" means for run visibility.</summary>
    public AccessRight GrantedOn(Principal principal, Target target, IReadOnlyList<ResourceTag> tags)
    {
        var rights = AccessRight.None;
        foreach (var subject in principal.Subjects)
        {
            if (!_bySubject.TryGetValue(subject, out var targets)) continue;
            if (targets.TryGetValue(target, out var onTarget)) rights |= onTarget;
            foreach (var tag in tags)
            {
                if (targets.TryGetValue(new Target(TargetTypes.Tag, tag.TargetId), out var onTag)) rights |= onTag;
            }
        }
        return rights;
    }

    /// <summary>
    /// Whether the principal could hold <paramref name="right"/> on some resource of <paramref name="targetType"/>:
    /// by a role, or by any grant on such a resource or on a tag. The coarse gate of list and body-addressed routes.
    /// </summary>
    public bool MayOnSome(Principal principal, string targetType, AccessRight right)
    {
        if (principal.Roles.Any(r => (Roles.ImpliedRights(r, targetType) & right) != 0)) return true;
        foreach (var subject in principal.Subjects)
        {
            if (!_bySubject.TryGetValue(subject, out var targets)) continue;
            foreach (var (target, rights) in targets)
            {
                if ((rights & right) != 0 && (target.Type == targetType || target.Type == TargetTypes.Tag)) return true;
            }
        }
        return false;
    }

    /// <summary>Every grant on <paramref name="target"/>, by subject.</summary>
    public IReadOnlyDictionary<Subject, AccessRight> GrantsOn(Target target) =>
        _byTarget.TryGetValue(target, out var subjects) ? subjects : new Dictionary<Subject, AccessRight>();

    /// <summary>Every grant to <paramref name="subject"/>, by target.</summary>
    public IReadOnlyDictionary<Target, AccessRight> GrantsTo(Subject subject) =>
        _bySubject.TryGetValue(subject, out var targets) ? targets : new Dictionary<Target, AccessRight>();
}
