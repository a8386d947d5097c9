namespace Baton.Engine.Scheduling;

/// <summary>
/// Whether a schedule's owner (whoever last saved it) may still start its workflow when a due time comes. The host
/// implements it with the one access policy; the engine knows only this question. A refusal records the fire as
/// FAILED with the reason: a scheduled run never acts with anyone else's rights.
/// </summary>
public interface IScheduleOwnerPolicy
{
    /// <returns>Why <paramref name="owner"/> may not start <paramref name="workflowName"/> now, or null when it may.</returns>
    ValueTask<string?> StartRefusalAsync(string? owner, string workflowName, CancellationToken ct);
}
