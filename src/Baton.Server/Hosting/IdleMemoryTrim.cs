using System.Runtime;
using Microsoft.Extensions.Hosting;

namespace Baton.Server.Hosting;

/// <summary>
/// Gives the GC's free memory back to the system once the server goes idle. The workstation GC keeps what it
/// committed for its allocation budget (about 20 MB over a live heap of 7 MB after a few thousand runs) and, with
/// nothing allocating, never collects again to return it. So when an interval passes with almost nothing allocated
/// (no runs, only health checks), one aggressive compacting collection runs (a few milliseconds on a heap this size),
/// and not again until the server has been busy. Under load it never runs.
/// </summary>
public sealed class IdleMemoryTrim : BackgroundService
{
    /// <summary>How often the allocation count is looked at.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(20);

    /// <summary>Allocated in one interval below this, the server is idle (a health check allocates a few KB).</summary>
    public const long IdleBytes = 1024 * 1024;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var last = GC.GetTotalAllocatedBytes();
        var trimmed = false;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.GetTotalAllocatedBytes();
                var busy = now - last >= IdleBytes;
                last = now;
                if (busy)
                {
                    trimmed = false;
                    continue;
                }
                if (trimmed) continue;
                GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                trimmed = true;
                last = GC.GetTotalAllocatedBytes();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
