using System.Text.Json.Nodes;
using Baton.Core.Runs;
using Baton.Engine.Persistence;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task Concurrent_saves_of_one_run_from_the_same_version_write_exactly_one()
    {
        var run = Samples.Run("wf-1");
        await Executions.SaveAsync(new WorkflowChange(run, []));

        // Fifty nodes decide on the same copy (version 1) at once: one change lands, the others are refused whole.
        var outcomes = await Task.WhenAll(Enumerable.Range(1, 50).Select(seq => Task.Run(async () =>
        {
            var copy = Samples.Run("wf-1");
            copy.StoreVersion = 1;
            try
            {
                await Executions.SaveAsync(new WorkflowChange(copy, [Samples.Task(copy, $"t-{seq:D2}", seq)]));
                return $"t-{seq:D2}";
            }
            catch (RunChangedElsewhereException e)
            {
                Assert.Equal("wf-1", e.WorkflowId);
                return null;
            }
        })));

        var winner = Assert.Single(outcomes, o => o is not null);
        var read = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);
        Assert.Equal([winner], read!.Tasks.Select(t => t.TaskId));
        Assert.Equal(2, read.StoreVersion);
    }

    [Fact]
    public async Task A_change_decided_on_an_old_copy_is_refused_and_writes_nothing()
    {
        var run = Samples.Run("wf-1");
        run.OwnerNode = "node-a";
        await Executions.SaveAsync(new WorkflowChange(run, []));
        Assert.Equal(1, run.StoreVersion);

        var mine = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);
        var theirs = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);
        Assert.Equal((1L, "node-a"), (mine!.StoreVersion, mine.OwnerNode));
        theirs!.OwnerNode = "node-b"; // a write never moves the owner
        await Executions.SaveAsync(new WorkflowChange(theirs, [Samples.Task(theirs, "t-theirs", 1)]));
        Assert.Equal(2, theirs.StoreVersion);

        mine.Variables["stale"] = true;
        await Assert.ThrowsAsync<RunChangedElsewhereException>(() =>
            Executions.SaveAsync(new WorkflowChange(mine, [Samples.Task(mine, "t-mine", 2)], ["t-theirs"])));
        Assert.Equal(1, mine.StoreVersion);

        var read = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);
        Assert.Equal(["t-theirs"], read!.Tasks.Select(t => t.TaskId));
        Assert.Null(read.Variables["stale"]);
        Assert.Equal((2L, "node-a"), (read.StoreVersion, read.OwnerNode));

        // A second "new" run with a taken id is refused too, and a removed run cannot be written back from an old copy.
        await Assert.ThrowsAsync<RunChangedElsewhereException>(() => Executions.SaveAsync(new WorkflowChange(Samples.Run("wf-1"), [])));
        Assert.True(await Executions.RemoveWorkflowAsync("wf-1"));
        await Assert.ThrowsAsync<RunChangedElsewhereException>(() => Executions.SaveAsync(new WorkflowChange(read, [])));
        Assert.Null(await Executions.GetWorkflowAsync("wf-1", includeTasks: false));
    }

    [Fact]
    public async Task A_reader_never_sees_a_change_half_applied()
    {
        const int steps = 100;
        var run = Samples.Run("wf-1");
        await Executions.SaveAsync(new WorkflowChange(run, [Step(run, "t-1", 1, 0), Step(run, "t-2", 2, 0)]));

        var writer = Task.Run(async () =>
        {
            for (var step = 1; step <= steps; step++)
            {
                var next = Samples.Run("wf-1");
                next.StoreVersion = step;
                next.Variables["step"] = step;
                await Executions.SaveAsync(new WorkflowChange(next, [Step(next, "t-1", 1, step), Step(next, "t-2", 2, step)]));
            }
        });
        var reads = 0;
        while (!writer.IsCompleted || reads == 0)
        {
            var read = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);
            var runStep = read!.Variables["step"]?.GetValue<int>() ?? 0;
            Assert.Equal([runStep, runStep], read.Tasks.Select(t => t.OutputData["step"]!.GetValue<int>()));
            reads++;
        }
        await writer;

        var last = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);
        Assert.Equal(steps, last!.Variables["step"]!.GetValue<int>());
    }

    [Fact]
    public async Task Paging_through_runs_that_started_in_the_same_millisecond_visits_each_once()
    {
        var runs = Enumerable.Range(0, 30).Select(i => Samples.Run($"wf-{i:D2}", startTime: Samples.T0 + (i % 3))).ToArray();
        await SaveRunsAsync(runs);

        var seen = new List<string>();
        for (var start = 0; start < runs.Length; start += 4)
        {
            seen.AddRange(await SearchIdsAsync(new WorkflowQuery { Start = start, Size = 4 }));
        }

        Assert.Equal(runs.Select(r => r.WorkflowId).Order(), seen.Order());
    }

    private static TaskRun Step(WorkflowRun run, string taskId, int seq, int step)
    {
        var task = Samples.Task(run, taskId, seq);
        task.OutputData = new JsonObject { ["step"] = step };
        return task;
    }
}
