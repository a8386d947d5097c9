namespace Baton.Access.Model;

/// <summary>
/// Who is calling, or who started a run, as the access model sees them now: a user or an application with its
/// effective roles (its own and its groups') and groups. Built from the current snapshot on every request and
/// every hand-off, so a removal or a paused key takes effect at once.
/// </summary>
public sealed class Principal
{
    public const string ApplicationPrefix = "app:";

    public required string Id { get; init; }
    public required string Name { get; init; }
    public bool IsApplication { get; init; }
    public IReadOnlyList<string> Roles { get; init; } = [];
    public IReadOnlyList<string> Groups { get; init; } = [];
    /// <summary>The grant subjects this principal stands for: itself, each of its groups, each of its roles.</summary>
    public IReadOnlyList<Subject> Subjects { get; init; } = [];

    public bool IsAdmin => Roles.Contains(Model.Roles.Admin);

    public bool ManagesAllRuns => Roles.Any(Model.Roles.ManagesAllRuns);

    public override string ToString() => Id;
}
