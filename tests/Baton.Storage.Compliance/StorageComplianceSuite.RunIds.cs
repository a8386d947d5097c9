using Baton.Core.Runs;
using Baton.Engine.Persistence;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    private async Task SaveRunsAsync(params WorkflowRun[] runs)
    {
        foreach (var run in runs) await Executions.SaveAsync(new WorkflowChange(run, []));
    }

    [Fact]
    public async Task Running_ids_include_only_running_runs()
    {
        await SaveRunsAsync(
            Samples.Run("wf-running"),
            Samples.Run("wf-paused", status: WorkflowStatus.Paused),
            Samples.Run("wf-completed", status: WorkflowStatus.Completed),
            Samples.Run("wf-failed", status: WorkflowStatus.Failed));

        Assert.Equal(["wf-running"], await Executions.GetRunningWorkflowIdsAsync(null, null, null, null));
    }

    [Fact]
    public async Task Running_ids_filter_by_name_and_version()
    {
        await SaveRunsAsync(
            Samples.Run("wf-a1", name: "a", version: 1, startTime: Samples.T0 + 1),
            Samples.Run("wf-a2", name: "a", version: 2, startTime: Samples.T0 + 2),
            Samples.Run("wf-b1", name: "b", version: 1, startTime: Samples.T0 + 3));

        Assert.Equal(["wf-a1", "wf-a2"], (await Executions.GetRunningWorkflowIdsAsync("a", null, null, null)).Order());
        Assert.Equal(["wf-a2"], await Executions.GetRunningWorkflowIdsAsync("a", 2, null, null));
        Assert.Empty(await Executions.GetRunningWorkflowIdsAsync("c", null, null, null));
    }

    [Fact]
    public async Task Running_ids_filter_by_an_inclusive_start_time_range()
    {
        await SaveRunsAsync(
            Samples.Run("wf-early", startTime: Samples.T0 + 100),
            Samples.Run("wf-middle", startTime: Samples.T0 + 200),
            Samples.Run("wf-late", startTime: Samples.T0 + 300));

        Assert.Equal(["wf-middle"], await Executions.GetRunningWorkflowIdsAsync(null, null, Samples.T0 + 200, Samples.T0 + 200));
        Assert.Equal(["wf-late", "wf-middle"], (await Executions.GetRunningWorkflowIdsAsync(null, null, Samples.T0 + 150, null)).Order());
        Assert.Equal(["wf-early", "wf-middle"], (await Executions.GetRunningWorkflowIdsAsync(null, null, null, Samples.T0 + 250)).Order());
    }

    [Fact]
    public async Task A_run_that_finishes_leaves_the_running_ids()
    {
        var run = Samples.Run("wf-1");
        await SaveRunsAsync(run);

        run.Status = WorkflowStatus.Completed;
        run.EndTime = Samples.T0 + 1000;
        await SaveRunsAsync(run);

        Assert.Empty(await Executions.GetRunningWorkflowIdsAsync(null, null, null, null));
        Assert.Empty(await Executions.GetActiveWorkflowIdsAsync());
    }

    [Fact]
    public async Task Active_ids_are_the_running_and_paused_runs_and_no_finished_one()
    {
        await SaveRunsAsync(
            Samples.Run("wf-running", startTime: Samples.T0 + 1),
            Samples.Run("wf-paused", status: WorkflowStatus.Paused, startTime: Samples.T0 + 2),
            Samples.Run("wf-completed", status: WorkflowStatus.Completed),
            Samples.Run("wf-failed", status: WorkflowStatus.Failed),
            Samples.Run("wf-timed-out", status: WorkflowStatus.TimedOut),
            Samples.Run("wf-terminated", status: WorkflowStatus.Terminated));

        Assert.Equal(["wf-paused", "wf-running"], (await Executions.GetActiveWorkflowIdsAsync()).Order());
    }
}
