using System.Globalization;
using System.Text.RegularExpressions;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Core.Validation;
using Baton.Engine.SystemTasks;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.Wait;

/// <summary>
/// WAIT: waits for a <c>duration</c> ("30s", "1h 30m", "2 days"), until a time (<c>until</c>: "2027-01-31 09:00",
/// with a zone or offset, or a date), or, with neither, until someone who may execute the workflow completes it through
/// the task API, as in Conductor.
/// </summary>
public sealed partial class WaitTaskType : TaskType
{
    private static readonly string[] UntilFormats = ["yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm zzz", "yyyy-MM-dd HH:mm 'UTC'", "yyyy-MM-dd HH:mm 'Z'", "yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFK"];

    public override string Name => TaskTypes.Wait;

    public override bool CompletesFromOutside => true;

    public override void Validate(TaskCheck check)
    {
        var duration = check.InputString("duration");
        var until = check.InputString("until");
        if (duration is not null && until is not null) check.Problem(".inputParameters", "a WAIT takes a duration or an until, not both");
        // Literal values are checked now; templated ones when the task runs.
        if (duration is not null && !duration.Contains("${", StringComparison.Ordinal) && ParseDuration(duration) is null)
        {
            check.Problem(".inputParameters.duration", $"'{duration}' is not a duration such as 30s, 5m, 1h 30m or 2d");
        }
        if (until is not null && !until.Contains("${", StringComparison.Ordinal) && ParseUntil(until) is null)
        {
            check.Problem(".inputParameters.until", $"'{until}' is not a time such as 2027-01-31 09:00, 2027-01-31 09:00 +01:00 or 2027-01-31");
        }
    }

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        var started = false;
        if (task.Status == TaskStatus.Scheduled)
        {
            started = true;
            var duration = task.InputData["duration"]?.ToString();
            var until = task.InputData["until"]?.ToString();
            if (!string.IsNullOrWhiteSpace(duration))
            {
                if (ParseDuration(duration) is not { } span) return Fail(context, task, $"WAIT task '{task.ReferenceTaskName}': duration '{duration}' is not a duration such as 30s, 5m, 1h 30m or 2d");
                task.WaitTimeout = context.Now + (long)span.TotalMilliseconds;
            }
            else if (!string.IsNullOrWhiteSpace(until))
            {
                if (ParseUntil(until) is not { } at) return Fail(context, task, $"WAIT task '{task.ReferenceTaskName}': until '{until}' is not a time such as 2027-01-31 09:00 or 2027-01-31 09:00 +01:00");
                task.WaitTimeout = Math.Max(context.Now, at.ToUnixTimeMilliseconds());
            }
            context.MarkInProgress(task);
        }
        if (task.WaitTimeout > 0 && context.Now >= task.WaitTimeout)
        {
            context.Finish(task, TaskOutcome.Completed(task.OutputData));
            return true;
        }
        return started;
    }

    public override long? WakeAt(TaskRun task) => task.WaitTimeout > 0 ? task.WaitTimeout : null;

    private static bool Fail(DecisionContext context, TaskRun task, string reason)
    {
        context.Finish(task, new TaskOutcome(TaskStatus.FailedWithTerminalError, [], reason));
        return true;
    }

    /// <summary>Conductor's duration syntax: days, hours, minutes and seconds, each optional, in that order.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        if (text.Length > 100) return null;
        var match = DurationPattern().Match(text);
        if (!match.Success || !Enumerable.Range(1, 4).Any(i => match.Groups[i].Success)) return null;
        long Part(int i) => match.Groups[i].Success && long.TryParse(match.Groups[i].Value, CultureInfo.InvariantCulture, out var v) ? v : 0;
        try
        {
            return checked(TimeSpan.FromDays(Part(1)) + TimeSpan.FromHours(Part(2)) + TimeSpan.FromMinutes(Part(3)) + TimeSpan.FromSeconds(Part(4)));
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>A time in one of Conductor's formats; without a zone, UTC.</summary>
    public static DateTimeOffset? ParseUntil(string text) =>
        text.Length <= 100 && DateTimeOffset.TryParseExact(text.Trim(), UntilFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;

    [GeneratedRegex(@"^\s*(?:(\d{1,9})\s*(?:days?|d))?\s*(?:(\d{1,9})\s*(?:hours?|hrs?|h))?\s*(?:(\d{1,9})\s*(?:minutes?|mins?|m))?\s*(?:(\d{1,9})\s*(?:seconds?|secs?|s))?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex DurationPattern();
}
