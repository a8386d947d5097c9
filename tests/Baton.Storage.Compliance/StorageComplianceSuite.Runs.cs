using Baton.Core.Runs;
using Baton.Engine.Persistence;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task A_saved_run_without_tasks_reads_back_with_every_field()
    {
        var run = Samples.Run("wf-1");

        await Executions.SaveAsync(new WorkflowChange(run, []));
        var read = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);

        JsonAssert.SameJson(run, read);
        Assert.Equal("Zoë Łukasiewicz 東京 🎻", read!.Input["customer"]!["name"]!.GetValue<string>());
        Assert.Equal("9007199254740993", read.Input["bigInteger"]!.ToJsonString());
        Assert.True(read.Output["result"]!.AsObject().ContainsKey("why"));
        Assert.Null(read.Output["result"]!["why"]);
    }

    [Fact]
    public async Task A_saved_run_with_tasks_reads_back_with_its_tasks_ordered_by_seq()
    {
        var run = Samples.Run("wf-1");
        var tasks = new[] { Samples.Task(run, "t-3", 3), Samples.Task(run, "t-1", 1), Samples.Task(run, "t-2", 2) };

        await Executions.SaveAsync(new WorkflowChange(run, tasks));
        var read = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);

        Assert.Equal(["t-1", "t-2", "t-3"], read!.Tasks.Select(t => t.TaskId));
        JsonAssert.SameJson(tasks[1], read.Tasks[0]);
        JsonAssert.SameJson(tasks[0], read.Tasks[2]);
    }

    [Fact]
    public async Task A_run_read_without_tasks_has_none()
    {
        var run = Samples.Run("wf-1");
        await Executions.SaveAsync(new WorkflowChange(run, [Samples.Task(run, "t-1", 1)]));

        var read = await Executions.GetWorkflowAsync("wf-1", includeTasks: false);

        Assert.NotNull(read);
        Assert.Empty(read.Tasks);
    }

    [Fact]
    public async Task An_unknown_run_and_an_unknown_task_read_as_null()
    {
        await Executions.SaveAsync(new WorkflowChange(Samples.Run("wf-1"), []));

        Assert.Null(await Executions.GetWorkflowAsync("wf-unknown", includeTasks: true));
        Assert.Null(await Executions.GetTaskAsync("t-unknown"));
    }

    [Fact]
    public async Task A_second_save_updates_the_run_and_the_tasks_it_names_and_leaves_the_others()
    {
        var run = Samples.Run("wf-1");
        var first = Samples.Task(run, "t-1", 1);
        var second = Samples.Task(run, "t-2", 2);
        await Executions.SaveAsync(new WorkflowChange(run, [first, second]));

        run.Status = WorkflowStatus.Paused;
        run.Variables["counter"] = 43;
        var secondDone = Samples.Task(run, "t-2", 2, TaskStatus.Completed);
        secondDone.OutputData["answer"] = "done";
        var third = Samples.Task(run, "t-3", 3);
        await Executions.SaveAsync(new WorkflowChange(run, [secondDone, third]));
        var read = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);

        Assert.Equal(WorkflowStatus.Paused, read!.Status);
        Assert.Equal(43, read.Variables["counter"]!.GetValue<int>());
        Assert.Equal(["t-1", "t-2", "t-3"], read.Tasks.Select(t => t.TaskId));
        JsonAssert.SameJson(first, read.Tasks[0]);
        JsonAssert.SameJson(secondDone, read.Tasks[1]);
        JsonAssert.SameJson(third, read.Tasks[2]);
    }

    [Fact]
    public async Task Removed_task_ids_delete_those_tasks_in_the_same_save()
    {
        var run = Samples.Run("wf-1");
        await Executions.SaveAsync(new WorkflowChange(run, [Samples.Task(run, "t-1", 1), Samples.Task(run, "t-2", 2), Samples.Task(run, "t-3", 3)]));

        await Executions.SaveAsync(new WorkflowChange(run, [Samples.Task(run, "t-4", 4)], RemovedTaskIds: ["t-1", "t-3"]));

        var read = await Executions.GetWorkflowAsync("wf-1", includeTasks: true);
        Assert.Equal(["t-2", "t-4"], read!.Tasks.Select(t => t.TaskId));
        Assert.Null(await Executions.GetTaskAsync("t-1"));
        Assert.Null(await Executions.GetTaskAsync("t-3"));
    }

    [Fact]
    public async Task A_task_reads_back_by_its_id()
    {
        var run = Samples.Run("wf-1");
        var task = Samples.Task(run, "t-1", 1, TaskStatus.InProgress);
        await Executions.SaveAsync(new WorkflowChange(run, [task, Samples.Task(run, "t-2", 2)]));

        JsonAssert.SameJson(task, await Executions.GetTaskAsync("t-1"));
    }

    [Fact]
    public async Task Removing_a_run_removes_its_tasks_and_their_logs_and_nothing_else()
    {
        var doomed = Samples.Run("wf-doomed");
        var kept = Samples.Run("wf-kept");
        await Executions.SaveAsync(new WorkflowChange(doomed, [Samples.Task(doomed, "t-doomed", 1)]));
        await Executions.SaveAsync(new WorkflowChange(kept, [Samples.Task(kept, "t-kept", 1)]));
        await Executions.AddTaskLogsAsync([Log("t-doomed", "bye", 1), Log("t-kept", "hi", 1)]);

        Assert.True(await Executions.RemoveWorkflowAsync("wf-doomed"));
        Assert.False(await Executions.RemoveWorkflowAsync("wf-doomed"));

        Assert.Null(await Executions.GetWorkflowAsync("wf-doomed", includeTasks: true));
        Assert.Null(await Executions.GetTaskAsync("t-doomed"));
        Assert.Empty(await Executions.GetTaskLogsAsync("t-doomed"));
        Assert.Single((await Executions.GetWorkflowAsync("wf-kept", includeTasks: true))!.Tasks);
        Assert.Single(await Executions.GetTaskLogsAsync("t-kept"));
    }

    [Fact]
    public async Task Removing_a_run_that_never_existed_returns_false()
    {
        Assert.False(await Executions.RemoveWorkflowAsync("wf-never"));
    }

    private static TaskExecLog Log(string taskId, string text, long time) => new() { TaskId = taskId, Log = text, CreatedTime = time };
}

public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task A_run_is_found_by_its_workflow_name_and_idempotency_key_latest_first()
    {
        var older = Samples.Run("wf-old");
        older.IdempotencyKey = "order-7";
        older.StartTime = 1_000;
        var newer = Samples.Run("wf-new");
        newer.IdempotencyKey = "order-7";
        newer.StartTime = 2_000;
        var otherKey = Samples.Run("wf-other");
        otherKey.IdempotencyKey = "order-8";
        foreach (var run in new[] { newer, older, otherKey }) await Executions.SaveAsync(new WorkflowChange(run, []));

        Assert.Equal("wf-new", (await Executions.FindByIdempotencyKeyAsync(newer.WorkflowName, "order-7"))?.WorkflowId);
        Assert.Equal("wf-other", (await Executions.FindByIdempotencyKeyAsync(newer.WorkflowName, "order-8"))?.WorkflowId);
        Assert.Null(await Executions.FindByIdempotencyKeyAsync(newer.WorkflowName, "order-9"));
        Assert.Null(await Executions.FindByIdempotencyKeyAsync("another-workflow", "order-7"));
    }
}
