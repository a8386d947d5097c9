using Baton.Core.Runs;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task Task_logs_read_back_in_the_order_they_were_appended()
    {
        await Executions.AddTaskLogsAsync([Log("t-1", "first", 30), Log("t-2", "elsewhere", 10), Log("t-1", "second ✓", 20)]);
        await Executions.AddTaskLogsAsync([Log("t-1", "third", 5)]);

        var logs = await Executions.GetTaskLogsAsync("t-1");

        Assert.Equal(["first", "second ✓", "third"], logs.Select(l => l.Log));
        Assert.Equal([30L, 20L, 5L], logs.Select(l => l.CreatedTime));
        Assert.All(logs, l => Assert.Equal("t-1", l.TaskId));
    }

    [Fact]
    public async Task A_task_without_logs_has_an_empty_list()
    {
        await Executions.AddTaskLogsAsync([Log("t-1", "first", 1)]);

        Assert.Empty(await Executions.GetTaskLogsAsync("t-2"));
    }

    [Fact]
    public async Task Poll_data_is_kept_once_per_queue_and_domain_and_the_last_write_wins()
    {
        await Executions.SavePollDataAsync(new PollData { QueueName = "charge", Domain = "blue", WorkerId = "w-1", LastPollTime = 100 });
        await Executions.SavePollDataAsync(new PollData { QueueName = "charge", Domain = "green", WorkerId = "w-2", LastPollTime = 110 });
        await Executions.SavePollDataAsync(new PollData { QueueName = "charge", Domain = "blue", WorkerId = "w-3", LastPollTime = 120 });
        await Executions.SavePollDataAsync(new PollData { QueueName = "ship", Domain = "blue", WorkerId = "w-4", LastPollTime = 130 });

        var polls = (await Executions.GetPollDataAsync("charge")).OrderBy(p => p.Domain, StringComparer.Ordinal).ToList();

        Assert.Equal(2, polls.Count);
        Assert.Equal(("blue", "w-3", 120L), (polls[0].Domain, polls[0].WorkerId, polls[0].LastPollTime));
        Assert.Equal(("green", "w-2", 110L), (polls[1].Domain, polls[1].WorkerId, polls[1].LastPollTime));
        Assert.All(polls, p => Assert.Equal("charge", p.QueueName));
    }

    [Fact]
    public async Task Poll_data_without_a_domain_is_kept_and_updated_too()
    {
        await Executions.SavePollDataAsync(new PollData { QueueName = "charge", WorkerId = "w-1", LastPollTime = 100 });
        await Executions.SavePollDataAsync(new PollData { QueueName = "charge", WorkerId = "w-2", LastPollTime = 200 });

        var poll = Assert.Single(await Executions.GetPollDataAsync("charge"));

        Assert.Null(poll.Domain);
        Assert.Equal(("w-2", 200L), (poll.WorkerId, poll.LastPollTime));
        Assert.Empty(await Executions.GetPollDataAsync("unpolled"));
    }
}
