using Baton.Engine.Execution;

namespace Baton.Engine.Tests.Decider;

/// <summary>Each task type checks what it requires of a definition, and every problem comes with its JSON path.</summary>
public sealed class ValidationTests : IDisposable
{
    private readonly DeciderHarness _harness = new();

    [Theory]
    [InlineData("""{"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [[{"name": "a", "taskReferenceName": "a"}]]}""",
        "$.tasks[0].type", "must be followed by a JOIN")]
    [InlineData("""{"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [[]]}, {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": []}""",
        "$.tasks[0].forkTasks[0]", "at least one task")]
    [InlineData("""{"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["nowhere"]}""",
        "$.tasks[0].joinOn[0]", "'nowhere' is not a task reference name")]
    [InlineData("""{"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopOver": [{"name": "a", "taskReferenceName": "a"}]}""",
        "$.tasks[0].loopCondition", "needs a loopCondition")]
    [InlineData("""{"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "true", "loopOver": [{"name": "in", "taskReferenceName": "in", "type": "DO_WHILE", "loopCondition": "false", "loopOver": [{"name": "a", "taskReferenceName": "a"}]}]}""",
        "$.tasks[0].loopOver[0].type", "cannot be inside another DO_WHILE")]
    [InlineData("""{"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "true", "inputParameters": {"keepLastN": 0}, "loopOver": [{"name": "a", "taskReferenceName": "a"}]}""",
        "$.tasks[0].inputParameters.keepLastN", "1 or more")]
    [InlineData("""{"name": "a", "taskReferenceName": "a", "forkTasks": [[{"name": "b", "taskReferenceName": "b"}]]}""",
        "$.tasks[0].forkTasks", "a SIMPLE task cannot hold forkTasks")]
    [InlineData("""{"name": "a", "taskReferenceName": "a", "type": "NOPE"}""",
        "$.tasks[0].type", "unknown task type 'NOPE'")]
    public void A_definition_that_breaks_a_types_rule_is_refused_at_the_path_of_the_problem(string tasks, string path, string message)
    {
        var error = Assert.Throws<InvalidRequestException>(() => _harness.Definition($$"""{"name": "bad", "version": 1, "tasks": [{{tasks}}]}"""));

        Assert.Contains(error.Problems, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Nested_lists_are_checked_too()
    {
        var error = Assert.Throws<InvalidRequestException>(() => _harness.Definition("""
            {"name": "bad", "version": 1, "tasks": [
              {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [[{"name": "", "taskReferenceName": "a"}]]},
              {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a"]}]}
            """));

        Assert.Contains(error.Problems, p => p.Path == "$.tasks[0].forkTasks[0][0].name");
    }

    [Fact]
    public void An_embedded_task_definition_may_leave_its_name_out_as_in_conductor()
    {
        var def = _harness.Definition("""
            {"name": "embedded", "version": 1, "tasks": [
              {"name": "work", "taskReferenceName": "work", "taskDefinition": {"retryCount": 0, "timeoutSeconds": 60, "responseTimeoutSeconds": 30}}]}
            """);

        Assert.Equal(0, def.Tasks[0].TaskDefinition!.RetryCount);
    }

    public void Dispose() => _harness.Dispose();
}
