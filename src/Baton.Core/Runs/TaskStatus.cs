using System.Text.Json.Serialization;

namespace Baton.Core.Runs;

[JsonConverter(typeof(JsonStringEnumConverter<TaskStatus>))]
public enum TaskStatus
{
    [JsonStringEnumMemberName("SCHEDULED")] Scheduled,
    [JsonStringEnumMemberName("IN_PROGRESS")] InProgress,
    [JsonStringEnumMemberName("COMPLETED")] Completed,
    [JsonStringEnumMemberName("COMPLETED_WITH_ERRORS")] CompletedWithErrors,
    [JsonStringEnumMemberName("FAILED")] Failed,
    [JsonStringEnumMemberName("FAILED_WITH_TERMINAL_ERROR")] FailedWithTerminalError,
    [JsonStringEnumMemberName("TIMED_OUT")] TimedOut,
    [JsonStringEnumMemberName("CANCELED")] Canceled,
    [JsonStringEnumMemberName("SKIPPED")] Skipped,
}

public static class TaskStatusExtensions
{
    public static bool IsTerminal(this TaskStatus status) =>
        status is not (TaskStatus.Scheduled or TaskStatus.InProgress);

    public static bool IsSuccessful(this TaskStatus status) =>
        status is TaskStatus.Completed or TaskStatus.CompletedWithErrors or TaskStatus.Skipped;

    public static bool IsRetriable(this TaskStatus status) =>
        status is TaskStatus.Failed or TaskStatus.TimedOut;

    public static string WireName(this TaskStatus status) => status switch
    {
        TaskStatus.Scheduled => "SCHEDULED",
        TaskStatus.InProgress => "IN_PROGRESS",
        TaskStatus.Completed => "COMPLETED",
        TaskStatus.CompletedWithErrors => "COMPLETED_WITH_ERRORS",
        TaskStatus.Failed => "FAILED",
        TaskStatus.FailedWithTerminalError => "FAILED_WITH_TERMINAL_ERROR",
        TaskStatus.TimedOut => "TIMED_OUT",
        TaskStatus.Canceled => "CANCELED",
        TaskStatus.Skipped => "SKIPPED",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static bool TryParseWire(string text, out TaskStatus status)
    {
        foreach (var candidate in Enum.GetValues<TaskStatus>())
        {
            if (string.Equals(candidate.WireName(), text, StringComparison.OrdinalIgnoreCase))
            {
                status = candidate;
                return true;
            }
        }
        status = default;
        return false;
    }
}
