#if BATON_BENCH_NO_AUTH
using Baton.Access.Model;
using Baton.Secrets.Service;
using Baton.Secrets.Store;

namespace Baton.Server.Auth;

// The baseline of the authorization benchmark (scripts/bench.sh --compare-auth), compiled only into the throwaway
// server that script builds with -p:BatonBenchNoAuth=true. The shipped server has no such mode, and no setting can
// turn it on.

/// <summary>Every request runs as an administrator: no token is read or checked, no route rule is evaluated.</summary>
public sealed class BenchmarkCallerMiddleware(RequestDelegate next)
{
    private static readonly Principal Anyone = new()
    {
        Id = "benchmark",
        Name = "benchmark baseline (no access control)",
        Roles = [Roles.Admin],
        Subjects = [new Subject(SubjectTypes.User, "benchmark"), new Subject(SubjectTypes.Role, Roles.Admin)],
    };

    public Task InvokeAsync(HttpContext context)
    {
        Caller.Set(context, Anyone);
        return next(context);
    }
}

/// <summary>Every run may use every secret: no check at hand-off.</summary>
public sealed class BenchmarkAllowsEverySecretUse : ISecretUsePolicy
{
    public string? UseRefusal(ResolutionContext context, string secret, IReadOnlyList<SecretTag> tags) => null;

    public string? WriteRefusal(string? principal, string secret, bool exists, IReadOnlyList<SecretTag> tags) => null;

    public Task SecretCreatedAsync(string principal, string secret, CancellationToken ct) => Task.CompletedTask;

    public Task SecretPurgedAsync(string secret, CancellationToken ct) => Task.CompletedTask;
}
/// <summary>Every run may start every workflow.</summary>
public sealed class BenchmarkAllowsEveryStart : Baton.Engine.Execution.IWorkflowStartPolicy
{
    public ValueTask<string?> StartRefusalAsync(string? principal, string workflowName, CancellationToken ct) => ValueTask.FromResult<string?>(null);
}
#endif
