using Baton.Access.Model;
using Baton.Server.Auth;

namespace Baton.Server.Console;

/// <summary>
/// Names the <see cref="AccessRule"/> of a console page; <see cref="ConsoleEndpoints"/> turns it into the route's
/// rule, so every page is held to a rule exactly as every API route is (the route sweep checks both).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ConsoleAccessAttribute(string rule) : Attribute
{
    public AccessRule Rule { get; } = ConsoleAccess.RuleOf(rule);
}

/// <summary>Marks an endpoint as a console page: its session is the cookie, and a missing session redirects to sign-in.</summary>
public sealed class ConsolePageMarker
{
    public static ConsolePageMarker Instance { get; } = new();
}

public static class ConsoleAccess
{
    public const string Public = "public";
    public const string AnyPrincipal = "any";
    public const string SomeSecret = "some-secret";
    public const string SomeEnvironmentValue = "some-env";
    public const string UseSecret = "use-secret";
    public const string SomeSchedule = "some-schedule";
    public const string SomeRuns = "some-runs";
    public const string Run = "run";
    public const string SomeDefinition = "some-definition";
    public const string Definition = "definition";
    public const string DefinitionWriter = "definition-writer";

    public static AccessRule RuleOf(string name) => name switch
    {
        Public => AccessRule.Public,
        AnyPrincipal => AccessRule.AnyPrincipal,
        // The same rule as GET /api/secrets-v2: some right on some secret; the page then lists only what may be used.
        SomeSecret => AccessRule.OnSome(TargetTypes.SecretName, AccessRight.All),
        // The same rule as GET /api/secrets/{key}/metadata: READ or EXECUTE on the secret the route names.
        UseSecret => AccessRule.On(TargetTypes.SecretName, AccessRight.Read | AccessRight.Execute, "name"),
        // The same rule as GET /api/workflow/search: READ or EXECUTE on some definition; the list shows only visible runs.
        SomeRuns => Baton.Server.Api.WorkflowEndpoints.SeeSomeRuns,
        // The same rule as GET /api/workflow/{workflowId}: seeing that run (RunAccess).
        Run => AccessRule.Run(AccessRight.Read),
        // The same rule as GET /api/scheduler/schedules: READ on some schedule; the page lists only those.
        SomeSchedule => Baton.Server.Api.SchedulerEndpoints.SeeSomeSchedules,
        // The same rule as GET /api/environment: READ on some environment value; the page lists only those.
        SomeEnvironmentValue => AccessRule.OnSome(TargetTypes.EnvVariable, AccessRight.Read),
        // GET /api/metadata/workflow's and /v1/workflows' rule: READ on some definition; the list then shows only those readable.
        SomeDefinition => AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Read),
        // GET /api/metadata/workflow/{name}'s rule.
        Definition => AccessRule.On(TargetTypes.WorkflowDef, AccessRight.Read, "name"),
        // PUT /api/metadata/workflow's rule; the save then checks CREATE or UPDATE on each name, as the API does.
        DefinitionWriter => AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Create | AccessRight.Update),
        _ => throw new ArgumentException($"no console access rule named '{name}'", nameof(name)),
    };
}
