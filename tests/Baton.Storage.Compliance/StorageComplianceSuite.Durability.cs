using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.Persistence;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task Every_acknowledged_write_is_still_there_after_the_store_is_reopened()
    {
        var run = Samples.Run("wf-1");
        var task = Samples.Task(run, "t-1", 1);
        var def = new WorkflowDef { Name = "order_flow", Version = 3, Description = "durable" };
        await Executions.SaveAsync(new WorkflowChange(run, [task]));
        await Executions.AddTaskLogsAsync([Log("t-1", "kept", 1)]);
        await Executions.SavePollDataAsync(new PollData { QueueName = "charge", WorkerId = "w-1", LastPollTime = 5 });
        await Metadata.UpsertTaskDefsAsync([new TaskDef { Name = "charge", RetryCount = 8 }]);
        await Metadata.SaveWorkflowDefAsync(def, overwrite: false);

        await ReopenStoresAsync();

        var read = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);
        run.Tasks = [task];
        JsonAssert.SameJson(run, read);
        Assert.Equal("kept", Assert.Single(await Executions.GetTaskLogsAsync("t-1")).Log);
        Assert.Equal("w-1", Assert.Single(await Executions.GetPollDataAsync("charge")).WorkerId);
        Assert.Equal(8, (await Metadata.GetTaskDefAsync("charge"))?.RetryCount);
        JsonAssert.SameJson(def, await Metadata.GetWorkflowDefAsync("order_flow", null));
    }

    [Fact]
    public async Task Five_hundred_concurrent_saves_all_complete_and_all_survive_a_reopen()
    {
        const int count = 500;
        var runs = Enumerable.Range(0, count).Select(i => Samples.Run($"wf-{i:D3}", startTime: Samples.T0 + i)).ToList();

        await Task.WhenAll(runs.Select(run => Task.Run(() => Executions.SaveAsync(new WorkflowChange(run, [Samples.Task(run, "t-" + run.WorkflowId, 1)])))));
        await ReopenStoresAsync();

        var reads = await Task.WhenAll(runs.Select(run => Executions.GetWorkflowAsync(run.WorkflowId, includeTasks: true)));
        Assert.All(reads.Zip(runs), pair =>
        {
            Assert.NotNull(pair.First);
            Assert.Equal(pair.Second.WorkflowId, pair.First.WorkflowId);
            Assert.Equal("t-" + pair.Second.WorkflowId, Assert.Single(pair.First.Tasks).TaskId);
        });
        Assert.Equal(count, (await Executions.SearchAsync(new WorkflowQuery { Size = 1 })).TotalHits);
        Assert.Equal(count, (await Executions.GetActiveWorkflowIdsAsync()).Count);
    }
}
