using Baton.Engine.Execution;
using Baton.Engine.Persistence;
using Baton.Engine.Timers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Baton.Engine.Hosting;

/// <summary>
/// Starts the engine: loads task definitions, carries on every run that was active when the server last stopped
/// (deciding each again re-queues its worker tasks and re-runs its unfinished system tasks; the response timeout of a
/// task a worker holds runs again from the restart), then wakes runs whose timers come due. The server is ready only after recovery.
/// </summary>
public sealed class EngineHost(
    IExecutionStore store,
    DefinitionCatalog definitions,
    Environment.EnvironmentValues environment,
    WorkflowExecutor executor,
    WorkflowTimers timers,
    EngineReadiness readiness,
    Cluster.IClusterBus cluster,
    Cluster.IRunOwnership ownership,
    ILogger<EngineHost> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await definitions.LoadAsync(cancellationToken);
        await environment.LoadAsync(cancellationToken);
        if (cluster.IsShared)
        {
            // Several nodes: carry on the runs no live node owns (all of them when this is the first node up), hear
            // what the others change, and ask them for the worker tasks they have queued.
            cluster.Received += executor.OnClusterMessage;
            ownership.Rejoined += executor.ForgetCachedRuns;
            await ResumeAsync(await ownership.ClaimOrphanedRunsAsync(cancellationToken), cancellationToken);
            cluster.Publish(new Cluster.ClusterMessage { Kind = Cluster.ClusterMessage.Hello });
        }
        else
        {
            await ResumeAsync(await store.GetActiveWorkflowIdsAsync(cancellationToken), cancellationToken);
        }
        readiness.MarkReady();
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Carries on runs that were active when their node stopped (this one, or with several nodes another).</summary>
    private async Task ResumeAsync(IReadOnlyList<string> ids, CancellationToken ct)
    {
        foreach (var id in ids)
        {
            try
            {
                await executor.ResumeAfterRestartAsync(id, ct);
                await executor.ReconcileChildrenAsync(id, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not resume workflow {WorkflowId}", id);
            }
        }
        if (ids.Count > 0) logger.LogInformation("Resumed {Count} active workflows", ids.Count);
    }

    /// <summary>Several nodes: once a second, the runs of nodes that stopped become this node's and carry on here.</summary>
    private async Task ClaimLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await ResumeAsync(await ownership.ClaimOrphanedRunsAsync(ct), ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning("Could not claim the runs of stopped nodes ({Error}); trying again", e.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ = RetryUnrecordedLoopAsync(stoppingToken);
        if (cluster.IsShared) _ = ClaimLoopAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var due = await timers.WaitForDueAsync(stoppingToken);
            foreach (var id in due)
            {
                _ = DecideQuietlyAsync(id, stoppingToken);
            }
        }
    }

    /// <summary>Once a second, the runs whose last change the store could not take (see <see cref="WorkflowExecutor.RetryUnrecordedAsync"/>).</summary>
    private async Task RetryUnrecordedLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await executor.RetryUnrecordedAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Looking again at runs whose changes were not recorded failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task DecideQuietlyAsync(string workflowId, CancellationToken ct)
    {
        try
        {
            await executor.DecideAsync(workflowId, ct);
        }
        catch (NotFoundException)
        {
            // Removed since the timer was set.
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception e)
        {
            logger.LogError(e, "Timer-driven decide of workflow {WorkflowId} failed", workflowId);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        executor.Stop();
        await base.StopAsync(cancellationToken);
    }
}

/// <summary>Whether the engine has finished recovering and may take traffic (/health/ready).</summary>
public sealed class EngineReadiness
{
    private volatile bool _ready;

    public bool IsReady => _ready;

    public void MarkReady() => _ready = true;
}
