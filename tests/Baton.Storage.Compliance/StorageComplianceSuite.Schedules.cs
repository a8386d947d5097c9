using System.Text.Json.Nodes;
using Baton.Core.Runs;
using Baton.Core.Schedules;
using Baton.Engine.Persistence;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    private static WorkflowSchedule NewSchedule(string name, string workflow = "nightly", long updated = 1_000, long? next = 60_000) => new()
    {
        Name = name,
        CronExpression = "0 * * * * *",
        ZoneId = "Europe/Paris",
        StartWorkflowRequest = new StartWorkflowRequest { Name = workflow, Version = 2, Input = new JsonObject { ["region"] = "eu ✓" }, Priority = 3 },
        RunCatchupScheduleInstances = true,
        Description = "every minute",
        CreateTime = 500,
        UpdatedTime = updated,
        CreatedBy = "ana@example.test",
        UpdatedBy = "bo@example.test",
        NextRunTime = next,
    };

    private static ScheduleExecution NewFire(string schedule, long due, string? id = null) => new()
    {
        ExecutionId = id ?? Guid.NewGuid().ToString(),
        ScheduleName = schedule,
        ScheduledTime = due,
        ExecutionTime = due + 5,
        WorkflowName = "nightly",
        State = ScheduleExecutionStates.Polled,
        ZoneId = "Europe/Paris",
    };

    [Fact]
    public async Task A_schedule_reads_back_whole_after_a_reopen_and_an_unknown_one_is_null()
    {
        var schedule = NewSchedule("every-minute");
        await Schedules.SaveScheduleAsync(schedule);
        await ReopenStoresAsync();

        Assert.Equal(Snapshot.Of(schedule), Snapshot.Of(await Schedules.GetScheduleAsync("every-minute")));
        Assert.Null(await Schedules.GetScheduleAsync("unknown"));
    }

    [Fact]
    public async Task Saving_a_schedule_again_replaces_it_and_schedules_are_listed_by_name_or_by_workflow()
    {
        await Schedules.SaveScheduleAsync(NewSchedule("charlie", "report"));
        await Schedules.SaveScheduleAsync(NewSchedule("alpha", "nightly"));
        await Schedules.SaveScheduleAsync(NewSchedule("bravo", "nightly"));
        var replaced = NewSchedule("charlie", "nightly", updated: 2_000, next: null);
        replaced.Paused = true;
        await Schedules.SaveScheduleAsync(replaced);

        Assert.Equal(["alpha", "bravo", "charlie"], (await Schedules.ListSchedulesAsync()).Select(s => s.Name));
        Assert.Equal(["alpha", "bravo", "charlie"], (await Schedules.ListSchedulesAsync("nightly")).Select(s => s.Name));
        Assert.Empty(await Schedules.ListSchedulesAsync("report"));
        var charlie = await Schedules.GetScheduleAsync("charlie");
        Assert.True(charlie!.Paused);
        Assert.Null(charlie.NextRunTime);
    }

    [Fact]
    public async Task A_claim_records_the_fire_and_moves_the_next_due_time_in_one_durable_write()
    {
        await Schedules.SaveScheduleAsync(NewSchedule("s", updated: 1_000, next: 60_000));
        var fire = NewFire("s", 60_000);

        Assert.True(await Schedules.ClaimFireAsync(fire, 120_000, expectedUpdatedTime: 1_000));
        await ReopenStoresAsync();

        Assert.Equal(120_000, (await Schedules.GetScheduleAsync("s"))!.NextRunTime);
        var pending = Assert.Single(await Schedules.GetPendingFiresAsync());
        Assert.Equal(Snapshot.Of(fire), Snapshot.Of(pending));
    }

    [Fact]
    public async Task A_due_time_is_claimed_once_whoever_claims_it_again()
    {
        await Schedules.SaveScheduleAsync(NewSchedule("s", updated: 1_000, next: 60_000));

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Schedules.ClaimFireAsync(NewFire("s", 60_000), 120_000, 1_000)));

        Assert.Equal(1, claims.Count(c => c));
        Assert.Single(await Schedules.GetPendingFiresAsync());
        Assert.Equal(120_000, (await Schedules.GetScheduleAsync("s"))!.NextRunTime);
    }

    [Fact]
    public async Task A_claim_from_a_copy_read_before_a_save_or_after_a_delete_writes_nothing()
    {
        await Schedules.SaveScheduleAsync(NewSchedule("s", updated: 1_000, next: 60_000));
        await Schedules.SaveScheduleAsync(NewSchedule("s", updated: 1_001, next: 90_000)); // paused, resumed or saved meanwhile

        Assert.False(await Schedules.ClaimFireAsync(NewFire("s", 60_000), 120_000, expectedUpdatedTime: 1_000));
        Assert.False(await Schedules.ClaimFireAsync(NewFire("gone", 60_000), 120_000, expectedUpdatedTime: 1_000));

        Assert.Empty(await Schedules.GetPendingFiresAsync());
        Assert.Equal(90_000, (await Schedules.GetScheduleAsync("s"))!.NextRunTime);
    }

    [Fact]
    public async Task An_ended_fire_is_no_longer_pending_and_is_found_by_its_state_run_and_schedule()
    {
        await Schedules.SaveScheduleAsync(NewSchedule("s"));
        await Schedules.SaveScheduleAsync(NewSchedule("t"));
        var executed = NewFire("s", 60_000);
        var failed = NewFire("s", 120_000);
        var other = NewFire("t", 90_000);
        foreach (var fire in new[] { executed, failed, other }) Assert.True(await Schedules.ClaimFireAsync(fire, null, 1_000));
        executed.State = ScheduleExecutionStates.Executed;
        executed.WorkflowId = "run-1";
        failed.State = ScheduleExecutionStates.Failed;
        failed.Reason = "permission denied: the owner may no longer start it";
        await Schedules.UpdateFireAsync(executed);
        await Schedules.UpdateFireAsync(failed);
        await ReopenStoresAsync();

        Assert.Equal([other.ExecutionId], (await Schedules.GetPendingFiresAsync()).Select(f => f.ExecutionId));
        var all = await Schedules.SearchFiresAsync(new ScheduleFireQuery());
        Assert.Equal(3, all.TotalHits);
        Assert.Equal([120_000L, 90_000L, 60_000L], all.Results.Select(f => f.ScheduledTime));
        Assert.Equal([60_000L, 90_000L, 120_000L], (await Schedules.SearchFiresAsync(new ScheduleFireQuery { NewestFirst = false })).Results.Select(f => f.ScheduledTime));
        Assert.Equal(Snapshot.Of(executed), Snapshot.Of(Assert.Single((await Schedules.SearchFiresAsync(new ScheduleFireQuery { WorkflowId = "run-1" })).Results)));
        Assert.Equal(failed.Reason, Assert.Single((await Schedules.SearchFiresAsync(new ScheduleFireQuery { State = ScheduleExecutionStates.Failed })).Results).Reason);
        Assert.Equal(2, (await Schedules.SearchFiresAsync(new ScheduleFireQuery { ScheduleNames = ["s"] })).TotalHits);
        Assert.Equal(0, (await Schedules.SearchFiresAsync(new ScheduleFireQuery { ScheduleNames = [] })).TotalHits);
        Assert.Equal([failed.ExecutionId], (await Schedules.SearchFiresAsync(new ScheduleFireQuery { FreeText = "may no longer" })).Results.Select(f => f.ExecutionId));
        var page = await Schedules.SearchFiresAsync(new ScheduleFireQuery { Start = 1, Size = 1 });
        Assert.Equal(3, page.TotalHits);
        Assert.Equal([90_000L], page.Results.Select(f => f.ScheduledTime));
    }

    [Fact]
    public async Task Deleting_a_schedule_deletes_its_fires_and_answers_whether_it_existed()
    {
        await Schedules.SaveScheduleAsync(NewSchedule("s"));
        Assert.True(await Schedules.ClaimFireAsync(NewFire("s", 60_000), 120_000, 1_000));

        Assert.True(await Schedules.DeleteScheduleAsync("s"));
        Assert.False(await Schedules.DeleteScheduleAsync("s"));

        Assert.Null(await Schedules.GetScheduleAsync("s"));
        Assert.Empty(await Schedules.GetPendingFiresAsync());
        Assert.Equal(0, (await Schedules.SearchFiresAsync(new ScheduleFireQuery())).TotalHits);
    }
}
