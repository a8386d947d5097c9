namespace Baton.Access.Model;

/// <summary>
/// Orkes' roles and what each allows on its own, before any grant. Deny by default: a right not listed here needs a
/// grant. Whoever creates a definition, secret, environment value or application also gets a grant of every right on
/// it (see AccessControl.GrantToCreatorAsync), so USER can work with what it made and nothing else.
/// </summary>
public static class Roles
{
    public const string Admin = "ADMIN";
    public const string User = "USER";
    public const string MetadataManager = "METADATA_MANAGER";
    public const string WorkflowManager = "WORKFLOW_MANAGER";
    public const string ReadOnlyUser = "READ_ONLY_USER";
    public const string Worker = "WORKER";
    public const string UnrestrictedWorker = "UNRESTRICTED_WORKER";
    public const string MetadataApi = "METADATA_API";
    public const string ApplicationApi = "APPLICATION_API";
    public const string ApplicationManager = "APPLICATION_MANAGER";

    /// <summary>Roles a user or a group may hold.</summary>
    public static IReadOnlyList<string> ForUsers { get; } = [Admin, User, MetadataManager, WorkflowManager, ReadOnlyUser];

    /// <summary>Roles an application may hold; those in <see cref="AdminOnly"/> only an ADMIN may give.</summary>
    public static IReadOnlyList<string> ForApplications { get; } =
        [Worker, MetadataApi, ApplicationApi, UnrestrictedWorker, MetadataManager, WorkflowManager, ApplicationManager, Admin];

    public static IReadOnlyList<string> AdminOnly { get; } = [UnrestrictedWorker, MetadataManager, WorkflowManager, ApplicationManager, Admin];

    private const AccessRight Manage = AccessRight.Read | AccessRight.Create | AccessRight.Update | AccessRight.Delete;

    /// <summary>Role → target type → the rights it gives on every resource of that type.</summary>
    private static readonly Dictionary<string, Dictionary<string, AccessRight>> Implied = new(StringComparer.Ordinal)
    {
        [User] = new()
        {
            [TargetTypes.WorkflowDef] = AccessRight.Create,
            [TargetTypes.TaskDef] = AccessRight.Create,
            [TargetTypes.SecretName] = AccessRight.Create,
            [TargetTypes.EnvVariable] = AccessRight.Create,
            [TargetTypes.WorkflowSchedule] = AccessRight.Create,
        },
        [MetadataManager] = new()
        {
            [TargetTypes.WorkflowDef] = Manage,
            [TargetTypes.TaskDef] = Manage,
            [TargetTypes.EnvVariable] = Manage,
            [TargetTypes.SecretName] = AccessRight.Create,
        },
        [WorkflowManager] = new()
        {
            [TargetTypes.WorkflowDef] = AccessRight.Read | AccessRight.Execute,
            [TargetTypes.TaskDef] = AccessRight.Read,
            [TargetTypes.WorkflowSchedule] = Manage | AccessRight.Execute,
        },
        [ReadOnlyUser] = new()
        {
            [TargetTypes.WorkflowDef] = AccessRight.Read,
            [TargetTypes.TaskDef] = AccessRight.Read,
            [TargetTypes.WorkflowSchedule] = AccessRight.Read,
        },
        [Worker] = [],
        [UnrestrictedWorker] = new()
        {
            [TargetTypes.TaskDef] = AccessRight.Read | AccessRight.Execute,
        },
        [MetadataApi] = new()
        {
            [TargetTypes.WorkflowDef] = AccessRight.Read | AccessRight.Create | AccessRight.Update,
            [TargetTypes.TaskDef] = AccessRight.Read | AccessRight.Create | AccessRight.Update,
        },
        [ApplicationApi] = new()
        {
            [TargetTypes.WorkflowDef] = AccessRight.Create,
            [TargetTypes.TaskDef] = AccessRight.Create,
            [TargetTypes.WorkflowSchedule] = AccessRight.Create,
        },
        [ApplicationManager] = new()
        {
            [TargetTypes.Application] = Manage,
        },
    };

    public static bool IsKnown(string role) => role == Admin || Implied.ContainsKey(role);

    /// <summary>The rights <paramref name="role"/> gives on every resource of <paramref name="targetType"/>.</summary>
    public static AccessRight ImpliedRights(string role, string targetType) =>
        role == Admin ? AccessRight.All
        : Implied.TryGetValue(role, out var byType) && byType.TryGetValue(targetType, out var rights) ? rights
        : AccessRight.None;

    /// <summary>Roles that see and operate every run (not only their own or those they may read).</summary>
    public static bool ManagesAllRuns(string role) => role is Admin or WorkflowManager;
}
