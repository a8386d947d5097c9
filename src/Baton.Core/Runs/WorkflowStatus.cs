using System.Text.Json.Serialization;

namespace Baton.Core.Runs;

[JsonConverter(typeof(JsonStringEnumConverter<WorkflowStatus>))]
public enum WorkflowStatus
{
    [JsonStringEnumMemberName("RUNNING")] Running,
    [JsonStringEnumMemberName("COMPLETED")] Completed,
    [JsonStringEnumMemberName("FAILED")] Failed,
    [JsonStringEnumMemberName("TIMED_OUT")] TimedOut,
    [JsonStringEnumMemberName("TERMINATED")] Terminated,
    [JsonStringEnumMemberName("PAUSED")] Paused,
}

public static class WorkflowStatusExtensions
{
    public static bool IsTerminal(this WorkflowStatus status) =>
        status is not (WorkflowStatus.Running or WorkflowStatus.Paused);

    /// <summary>The wire name (RUNNING, TIMED_OUT...).</summary>
    public static string WireName(this WorkflowStatus status) => status switch
    {
        WorkflowStatus.Running => "RUNNING",
        WorkflowStatus.Completed => "COMPLETED",
        WorkflowStatus.Failed => "FAILED",
        WorkflowStatus.TimedOut => "TIMED_OUT",
        WorkflowStatus.Terminated => "TERMINATED",
        WorkflowStatus.Paused => "PAUSED",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static bool TryParseWire(string text, out WorkflowStatus status)
    {
        foreach (var candidate in Enum.GetValues<WorkflowStatus>())
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
