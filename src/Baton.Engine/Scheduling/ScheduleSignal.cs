namespace Baton.Engine.Scheduling;

/// <summary>Wakes the scheduler before its next due time when a schedule is saved, paused, resumed or deleted.</summary>
public sealed class ScheduleSignal : IDisposable
{
    private readonly SemaphoreSlim _changed = new(0, 1);

    public void Changed()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake covers every change since.
        }
    }

    public void Dispose() => _changed.Dispose();

    /// <summary>Waits until <paramref name="delay"/> has passed (on <paramref name="time"/>) or a change is signalled.</summary>
    public async Task WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(delay, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, ct);
        try
        {
            await _changed.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The delay passed.
        }
    }
}
