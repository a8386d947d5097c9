namespace Baton.Core.Definitions;

/// <summary>The task type names of the Conductor format that Baton runs.</summary>
public static class TaskTypes
{
    public const string Simple = "SIMPLE";
    public const string Http = "HTTP";
    public const string Inline = "INLINE";
    public const string Switch = "SWITCH";
    public const string SetVariable = "SET_VARIABLE";
    public const string Terminate = "TERMINATE";
    public const string Noop = "NOOP";
    public const string UpdateSecret = "UPDATE_SECRET";
    public const string ForkJoin = "FORK_JOIN";
    public const string Join = "JOIN";
    public const string DoWhile = "DO_WHILE";
    public const string ForkJoinDynamic = "FORK_JOIN_DYNAMIC";

    /// <summary>The taskType of a run's entry for either fork, as in Conductor.</summary>
    public const string Fork = "FORK";
    public const string Wait = "WAIT";
    public const string Human = "HUMAN";
    public const string SubWorkflow = "SUB_WORKFLOW";
    public const string StartWorkflow = "START_WORKFLOW";
    public const string JsonJqTransform = "JSON_JQ_TRANSFORM";
    public const string Lambda = "LAMBDA";
    public const string Decision = "DECISION";

    /// <summary>Types that compute on their input: given secret material, their output is sealed and their error withheld.</summary>
    public static bool ComputesOnInput(string type) => type is Inline or Lambda or JsonJqTransform;

    /// <summary>
    /// Names no task definition and no SIMPLE task may take: Conductor's and Orkes' system task types, those Baton runs
    /// today and those still to come. A worker holding EXECUTE on such a name could otherwise be handed, or complete,
    /// tasks the server runs itself.
    /// </summary>
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        Simple, Http, Inline, Switch, SetVariable, Terminate, Noop, UpdateSecret,
        ForkJoin, Fork, Join, DoWhile, ForkJoinDynamic, Wait, Human, SubWorkflow, Decision, "DYNAMIC", "EXCLUSIVE_JOIN",
        StartWorkflow, "EVENT", Lambda, JsonJqTransform, "KAFKA_PUBLISH", "USER_DEFINED",
        "TERMINATE_WORKFLOW", "WAIT_FOR_WEBHOOK", "BUSINESS_RULE", "GET_SIGNED_JWT", "GET_WORKFLOW", "QUERY_PROCESSOR",
        "UPDATE_TASK", "GET_DOCUMENT", "LLM_TEXT_COMPLETE", "LLM_CHAT_COMPLETE", "HTTP_POLL", "WEBHOOK", "KAFKA",
    };

    /// <summary>Types the server executes itself (everything but worker-polled SIMPLE tasks).</summary>
    public static bool IsSystem(string type) => type != Simple;
}
