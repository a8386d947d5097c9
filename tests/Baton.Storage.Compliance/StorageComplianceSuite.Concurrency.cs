using System.Text.Json.Nodes;
using Baton.Core.Runs;
using Baton.Engine.Persistence;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task Concurrent_saves_of_different_tasks_of_one_run_keep_every_task()
    {
        var run = Samples.Run("wf-1");
        await Executions.SaveAsync(new WorkflowChange(run, []));

        await Task.WhenAll(Enumerable.Range(1, 50).Select(seq =>
            Task.Run(() => Executions.SaveAsync(new WorkflowChange(Samples.Run("wf-1"), [Samples.Task(run, $"t-{seq:D2}", seq)])))));

        var read = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);
        Assert.Equal(Enumerable.Range(1, 50).Select(seq => $"t-{seq:D2}"), read!.Tasks.Select(t => t.TaskId));
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
