namespace Baton.Access.Model;

/// <summary>What a grant is on: a resource by type and id, or every resource carrying a tag (<c>TAG</c>, <c>key:value</c>).</summary>
public sealed record Target(string Type, string Id)
{
    public override string ToString() => $"{Type}:{Id}";
}

/// <summary>The target types Baton knows (Orkes' names).</summary>
public static class TargetTypes
{
    public const string WorkflowDef = "WORKFLOW_DEF";
    public const string TaskDef = "TASK_DEF";
    public const string SecretName = "SECRET_NAME";
    public const string EnvVariable = "ENV_VARIABLE";
    public const string Tag = "TAG";
    public const string Application = "APPLICATION";
    public const string WorkflowSchedule = "WORKFLOW_SCHEDULE";

    public static IReadOnlyList<string> All { get; } = [WorkflowDef, TaskDef, SecretName, EnvVariable, Tag, Application, WorkflowSchedule];

    /// <summary>The canonical spelling of a target type, or null when Baton does not know it.</summary>
    public static string? Normalize(string? type) => All.FirstOrDefault(t => string.Equals(t, type, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Who a grant is to: a user (or an application, as <c>app:&lt;id&gt;</c>), a group, or everyone holding a role.</summary>
public sealed record Subject(string Type, string Id)
{
    public override string ToString() => $"{Type}:{Id}";
}

public static class SubjectTypes
{
    public const string User = "USER";
    public const string Group = "GROUP";
    public const string Role = "ROLE";

    /// <summary>
    /// A workflow definition's exact content (<c>name@version#fingerprint</c>) that a secret is bound to: never a
    /// principal, made only by the bindings API, never by the grants API (<see cref="Normalize"/> does not know it).
    /// </summary>
    public const string Definition = "DEFINITION";

    /// <summary>Orkes' SDKs send these in either case; an application is a user whose id is <c>app:&lt;id&gt;</c>.</summary>
    public static Subject? Normalize(string? type, string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return null;
        return type?.ToUpperInvariant() switch
        {
            "USER" => new Subject(User, id),
            "APPLICATION" => new Subject(User, id.StartsWith(Principal.ApplicationPrefix, StringComparison.Ordinal) ? id : Principal.ApplicationPrefix + id),
            "GROUP" => new Subject(Group, id),
            "ROLE" => new Subject(Role, id.ToUpperInvariant()),
            _ => null,
        };
    }
}

/// <summary>One grant: a subject may do <see cref="Access"/> on a target.</summary>
public sealed record Grant(Subject Subject, Target Target, AccessRight Access);
