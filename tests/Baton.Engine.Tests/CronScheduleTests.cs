using Baton.Core.Validation;
using Baton.Engine.Scheduling;

namespace Baton.Engine.Tests;

/// <summary>Due times and catch-up plans as functions of the expression and the time: no clock, no server.</summary>
public sealed class CronScheduleTests
{
    private static readonly long T0 = DateTimeOffset.Parse("2030-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    private static CronSchedule Parse(string cron, string? zone = null, long? start = null, long? end = null)
    {
        var problems = new List<ValidationProblem>();
        var schedule = CronSchedule.Parse(cron, zone, start, end, "$.cronExpression", "$.zoneId", problems);
        Assert.Empty(problems);
        return schedule!;
    }

    private static List<ValidationProblem> Problems(string? cron, string? zone)
    {
        var problems = new List<ValidationProblem>();
        _ = CronSchedule.Parse(cron, zone, null, null, "$.cronExpression", "$.zoneId", problems);
        return problems;
    }

    [Fact]
    public void Six_fields_read_seconds_first_and_five_fields_minutes_first()
    {
        Assert.Equal([T0 + 10_000, T0 + 20_000], Parse("*/10 * * * * *").NextFew(T0, 2));
        Assert.Equal([T0 + 300_000, T0 + 600_000], Parse("*/5 * * * *").NextFew(T0, 2));
        Assert.Equal([T0 + 3_600_000], Parse("@hourly").NextFew(T0, 1));
        Assert.Equal([T0 + 9 * 3_600_000L], Parse("0 0 9 ? * *").NextFew(T0, 1)); // Spring's '?'
    }

    [Fact]
    public void The_zone_decides_the_wall_clock_and_utc_is_the_default()
    {
        // 09:00 in Paris on 1 January is 08:00 UTC.
        Assert.Equal(T0 + 8 * 3_600_000L, Parse("0 0 9 * * *", "Europe/Paris").Next(T0));
        Assert.Equal(T0 + 9 * 3_600_000L, Parse("0 0 9 * * *").Next(T0));
    }

    [Fact]
    public void Start_and_end_bound_the_due_times()
    {
        var bounded = Parse("0 * * * * *", start: T0 + 150_000, end: T0 + 300_000);
        Assert.Equal([T0 + 180_000, T0 + 240_000, T0 + 300_000], bounded.NextFew(T0, 10));
        Assert.Null(bounded.Next(T0 + 300_000));
    }

    [Fact]
    public void Bad_expressions_and_zones_are_problems_naming_their_paths()
    {
        Assert.Equal("$.cronExpression", Assert.Single(Problems("not a cron", null)).Path);
        Assert.Equal("$.cronExpression", Assert.Single(Problems("0 0 0 * * * 2030", null)).Path);
        Assert.Equal("$.cronExpression", Assert.Single(Problems("61 * * * * *", null)).Path);
        Assert.Equal("$.cronExpression", Assert.Single(Problems("", null)).Path);
        Assert.Equal("$.zoneId", Assert.Single(Problems("* * * * *", "Mars/Olympus")).Path);
        Assert.Equal(2, Problems(new string('*', 300), new string('x', 300)).Count);
    }

    [Fact]
    public void With_catch_up_every_missed_time_fires_in_order_and_the_next_is_after_now()
    {
        var plan = Parse("0 * * * * *").Plan(T0 + 60_000, T0 + 200_000, catchUp: true, maxCatchUp: 100);
        Assert.Equal([T0 + 60_000, T0 + 120_000, T0 + 180_000], plan.Fires);
        Assert.Equal(T0 + 240_000, plan.After);
        Assert.Equal(0, plan.Skipped);
    }

    [Fact]
    public void Catch_up_is_bounded_and_the_rest_is_skipped_up_to_now()
    {
        var plan = Parse("* * * * * *").Plan(T0 + 1_000, T0 + 1_000_000, catchUp: true, maxCatchUp: 100);
        Assert.Equal(100, plan.Fires.Count);
        Assert.Equal(T0 + 1_000, plan.Fires[0]);
        Assert.Equal(T0 + 100_000, plan.Fires[^1]);
        Assert.Equal(T0 + 1_001_000, plan.After);
        Assert.Equal(900, plan.Skipped);
    }

    [Fact]
    public void Without_catch_up_only_the_latest_missed_time_fires()
    {
        var plan = Parse("0 * * * * *").Plan(T0 + 60_000, T0 + 10 * 86_400_000L + 30_000, catchUp: false, maxCatchUp: 100);
        Assert.Equal([T0 + 10 * 86_400_000L], plan.Fires);
        Assert.Equal(T0 + 10 * 86_400_000L + 60_000, plan.After);
        Assert.True(plan.Skipped > 0);
    }

    [Fact]
    public void On_time_a_plan_fires_the_one_due_time_either_way()
    {
        foreach (var catchUp in new[] { true, false })
        {
            var plan = Parse("*/5 * * * * *").Plan(T0 + 5_000, T0 + 5_020, catchUp, 100);
            Assert.Equal([T0 + 5_000], plan.Fires);
            Assert.Equal(T0 + 10_000, plan.After);
            Assert.Equal(0, plan.Skipped);
        }
    }
}
