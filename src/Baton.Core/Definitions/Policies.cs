namespace Baton.Core.Definitions;

/// <summary>timeoutPolicy values of task and workflow definitions.</summary>
public static class TimeoutPolicies
{
    public const string Retry = "RETRY";
    public const string TimeOutWorkflow = "TIME_OUT_WF";
    public const string AlertOnly = "ALERT_ONLY";

    public static readonly IReadOnlySet<string> ForTasks = new HashSet<string>(StringComparer.Ordinal) { Retry, TimeOutWorkflow, AlertOnly };
    public static readonly IReadOnlySet<string> ForWorkflows = new HashSet<string>(StringComparer.Ordinal) { TimeOutWorkflow, AlertOnly };
}

/// <summary>retryLogic values of task definitions.</summary>
public static class RetryLogics
{
    public const string Fixed = "FIXED";
    public const string ExponentialBackoff = "EXPONENTIAL_BACKOFF";
    public const string LinearBackoff = "LINEAR_BACKOFF";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Fixed, ExponentialBackoff, LinearBackoff };
}
