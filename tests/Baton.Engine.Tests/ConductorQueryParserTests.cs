using Baton.Core.Runs;
using Baton.Engine.Execution;
using Baton.Engine.Persistence;
using Baton.Engine.Search;

namespace Baton.Engine.Tests;

public sealed class ConductorQueryParserTests
{
    [Fact]
    public void Clauses_joined_by_and_set_each_criterion()
    {
        var query = ConductorQueryParser.Apply(new WorkflowQuery(),
            "workflowType = 'billing' AND status IN (RUNNING, FAILED) AND startTime > 1000 AND startTime <= 2000 AND correlationId = \"c 1\" AND version = 3");
        Assert.Equal("billing", query.WorkflowName);
        Assert.Equal([WorkflowStatus.Running, WorkflowStatus.Failed], query.Statuses);
        Assert.Equal(1001, query.StartedAfter);
        Assert.Equal(2000, query.StartedBefore);
        Assert.Equal("c 1", query.CorrelationId);
        Assert.Equal(3, query.Version);
    }

    [Fact]
    public void A_quoted_value_may_contain_the_word_and()
    {
        Assert.Equal("salt AND pepper", ConductorQueryParser.Apply(new WorkflowQuery(), "workflowType = 'salt AND pepper'").WorkflowName);
    }

    [Fact]
    public void Empty_and_star_change_nothing()
    {
        var before = new WorkflowQuery { Size = 7 };
        Assert.Equal(before, ConductorQueryParser.Apply(before, "*"));
        Assert.Equal(before, ConductorQueryParser.Apply(before, " "));
    }

    [Theory]
    [InlineData("colour = 'red'", "cannot search by 'colour'")]
    [InlineData("status IN (RUNNING, SLEEPING)", "'SLEEPING' is not a workflow status")]
    [InlineData("startTime > soon", "epoch milliseconds")]
    [InlineData("workflowType 'x'", "needs an operator")]
    [InlineData("status IN RUNNING", "list in parentheses")]
    public void A_bad_query_says_what_is_wrong(string text, string expected)
    {
        var error = Assert.Throws<InvalidRequestException>(() => ConductorQueryParser.Apply(new WorkflowQuery(), text));
        Assert.Contains(expected, error.Problems.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_query_longer_than_the_bound_is_refused_without_being_echoed()
    {
        Assert.Equal("billing", ConductorQueryParser.Apply(new WorkflowQuery(), "workflowType = 'billing'" + new string(' ', ConductorQueryParser.MaxLength - 24)).WorkflowName);
        var text = "workflowType = '" + new string('x', ConductorQueryParser.MaxLength) + "'";
        var error = Assert.Throws<InvalidRequestException>(() => ConductorQueryParser.Apply(new WorkflowQuery(), text));
        var problem = error.Problems.Single();
        Assert.Equal("query", problem.Path);
        Assert.Contains($"longer than {ConductorQueryParser.MaxLength} characters", problem.Message, StringComparison.Ordinal);
        Assert.True(problem.Message.Length < 200, problem.Message);
    }
}
