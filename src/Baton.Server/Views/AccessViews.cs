using System.Text.Json.Serialization;
using Baton.Access.Model;

namespace Baton.Server.Views;

public sealed record RoleRef(string Name);

public sealed record GroupRef(string Id);

/// <summary>A user as the API answers it and the console lists it: never a password hash or a credential epoch.</summary>
public sealed record UserView(string Id, string Name, IReadOnlyList<RoleRef> Roles, IReadOnlyList<GroupRef> Groups, long CreateTime, long UpdateTime, string? CreatedBy);

public sealed record GroupView(string Id, string Description, IReadOnlyList<RoleRef> Roles);

public sealed record ApplicationView(string Id, string Name, IReadOnlyList<string> Roles, IReadOnlyList<TagView> Tags, string? CreatedBy, long CreateTime, long UpdateTime);

/// <summary>An access key: its id and status, never its secret or the secret's hash.</summary>
public sealed record AccessKeyView(string Id, long CreatedAt, string Status);

/// <summary>The access model's views, built in one place for the API's answers and the console's Access page.</summary>
public static class AccessViews
{
    public static UserView User(User u)
    {
        ArgumentNullException.ThrowIfNull(u);
        return new UserView(u.Id, u.Name, [.. u.Roles.Select(r => new RoleRef(r))], [.. u.Groups.Select(g => new GroupRef(g))], u.CreatedAt, u.UpdatedAt, u.CreatedBy);
    }

    public static GroupView Group(Group g)
    {
        ArgumentNullException.ThrowIfNull(g);
        return new GroupView(g.Id, g.Description, [.. g.Roles.Select(r => new RoleRef(r))]);
    }

    public static ApplicationView Application(Application a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return new ApplicationView(a.Id, a.Name, a.Roles, [.. a.Tags.Select(t => new TagView(t.Key, t.Value))], a.CreatedBy, a.CreatedAt, a.UpdatedAt);
    }

    public static AccessKeyView Key(AccessKey k)
    {
        ArgumentNullException.ThrowIfNull(k);
        return new AccessKeyView(k.Id, k.CreatedAt, k.Active ? "ACTIVE" : "INACTIVE");
    }
}

/// <summary>The access views as JSON (see <see cref="ViewJsonContext"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(UserView))]
[JsonSerializable(typeof(IReadOnlyList<UserView>))]
[JsonSerializable(typeof(GroupView))]
[JsonSerializable(typeof(IReadOnlyList<GroupView>))]
[JsonSerializable(typeof(ApplicationView))]
[JsonSerializable(typeof(IReadOnlyList<ApplicationView>))]
[JsonSerializable(typeof(AccessKeyView))]
[JsonSerializable(typeof(IReadOnlyList<AccessKeyView>))]
internal sealed partial class AccessViewJsonContext : JsonSerializerContext;
