using Baton.Core.Runs;
using Baton.Engine.Persistence;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    /// <summary>A change the database must refuse: one of its tasks has no id (a NOT NULL key).</summary>
    private static WorkflowChange BrokenChange(WorkflowRun run, TaskRun goodTask, string removedTaskId)
    {
        run.Status = WorkflowStatus.Completed;
        run.Output["half"] = "written";
        var updated = Samples.Task(run, goodTask.TaskId, goodTask.Seq, TaskStatus.Completed);
        var broken = Samples.Task(run, "placeholder", 9);
        broken.TaskId = null!;
        return new WorkflowChange(run, [updated, broken], RemovedTaskIds: [removedTaskId]);
    }

    [Fact]
    public async Task A_refused_write_fails_its_caller_and_leaves_the_previous_version_intact()
    {
        var run = Samples.Run("wf-victim");
        var first = Samples.Task(run, "t-1", 1);
        var second = Samples.Task(run, "t-2", 2);
        await Executions.SaveAsync(new WorkflowChange(run, [first, second]));
        var before = Samples.Run("wf-victim");
        before.Tasks = [first, second];

        await Assert.ThrowsAnyAsync<Exception>(() => Executions.SaveAsync(BrokenChange(Samples.Run("wf-victim"), first, "t-2")));

        JsonAssert.SameJson(before, await Executions.GetWorkflowAsync("wf-victim", includeTasks: true));
        await ReopenStoresAsync();
        JsonAssert.SameJson(before, await Executions.GetWorkflowAsync("wf-victim", includeTasks: true));
    }

    [Fact]
    public async Task A_refused_write_among_many_concurrent_ones_fails_alone()
    {
        var victim = Samples.Run("wf-victim");
        var first = Samples.Task(victim, "t-1", 1);
        var second = Samples.Task(victim, "t-2", 2);
        await Executions.SaveAsync(new WorkflowChange(victim, [first, second]));
        var before = Samples.Run("wf-victim");
        before.Tasks = [first, second];
        var others = Enumerable.Range(0, 200).Select(i => Samples.Run($"wf-{i:D3}", startTime: Samples.T0 + i)).ToList();

        // Queued together, so a batching store is likely to put the broken write in the same commit as the others.
        var saves = others.Take(100).Select(r => Executions.SaveAsync(new WorkflowChange(r, [Samples.Task(r, "t-" + r.WorkflowId, 1)]))).ToList();
        var brokenSave = Executions.SaveAsync(BrokenChange(Samples.Run("wf-victim"), first, "t-2"));
        saves.AddRange(others.Skip(100).Select(r => Executions.SaveAsync(new WorkflowChange(r, [Samples.Task(r, "t-" + r.WorkflowId, 1)]))));

        await Assert.ThrowsAnyAsync<Exception>(() => brokenSave);
        await Task.WhenAll(saves);
        await ReopenStoresAsync();

        JsonAssert.SameJson(before, await Executions.GetWorkflowAsync("wf-victim", includeTasks: true));
        foreach (var run in others)
        {
            var read = await Executions.GetWorkflowAsync(run.WorkflowId, includeTasks: true);
            Assert.Equal("t-" + run.WorkflowId, Assert.Single(read!.Tasks).TaskId);
        }
    }
}
