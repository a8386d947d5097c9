using System.Net;
using System.Text.Json.Nodes;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// A per-second schedule across a SIGKILL and a restart of the server: with catch-up every due time of the downtime
/// fires once (none lost, none twice, one run each); without, only the latest missed one does.
/// </summary>
public sealed class SchedulerRestartTests : OwnServerTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_a_kill_and_restart_missed_due_times_follow_the_catch_up_policy_and_none_fires_twice(bool catchUp)
    {
        using var client = new BatonClient(Server);
        var workflow = await SchedulerTests.WorkflowAsync(client);
        var name = $"restart_{catchUp}_{Guid.NewGuid():N}"[..30];
        (await client.PostAsync("/api/scheduler/schedules", SchedulerTests.Schedule(name, workflow, catchUp: catchUp))).ShouldBe(HttpStatusCode.OK);
        await SchedulerTests.WaitForFiresAsync(client, name, f => f.Count(x => SchedulerTests.State(x) == "EXECUTED") >= 2);

        await Server.KillAsync();
        var down = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Task.Delay(TimeSpan.FromSeconds(3));
        await Server.LaunchAsync();
        var up = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Wait for fires due well after the restart, then stop the schedule and let every fire finish.
        await SchedulerTests.WaitForFiresAsync(client, name, f => f.Any(x => x["scheduledTime"]!.GetValue<long>() > up + 2_000));
        (await client.GetAsync($"/api/scheduler/schedules/{name}/pause")).ShouldBe(HttpStatusCode.OK);
        var fires = await SchedulerTests.WaitForFiresAsync(client, name, f => f.All(x => SchedulerTests.State(x) == "EXECUTED"));

        var times = fires.Select(f => f["scheduledTime"]!.GetValue<long>()).Order().ToList();
        Assert.Equal(times.Count, times.Distinct().Count());
        var ids = fires.Select(f => f["workflowId"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var runs = (await client.GetAsync($"/api/workflow/search?query=workflowType%3D{workflow}&size=1000")).Object;
        Assert.Equal(fires.Count, runs["totalHits"]!.GetValue<long>());

        var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToList();
        // Due times in the first two of the three seconds slept while the server was down: the latest due time
        // missed before the restart is at most a second before it, so later than these.
        var inDowntime = times.Count(t => t > down && t < down + 2_000);
        if (catchUp)
        {
            // Every second from the first fire to the last, downtime included, fired exactly once.
            Assert.All(gaps, gap => Assert.Equal(1_000, gap));
            Assert.True(inDowntime >= 1, $"{inDowntime} fires for the seconds the server was down");
        }
        else
        {
            Assert.Contains(gaps, gap => gap > 1_000);
            Assert.True(inDowntime == 0, $"down {down}, up {up}, fires {string.Join(", ", times)}");
        }
    }
}
