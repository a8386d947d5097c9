using Baton.Core.Expressions;

namespace Baton.Core.Tests.Expressions;

public class ExpressionSyntaxTests
{
    private static (IReadOnlyList<ExpressionReference> References, List<string> Errors) Analyze(string text)
    {
        var errors = new List<string>();
        return (ExpressionSyntax.Analyze(text, errors), errors);
    }

    [Fact]
    public void Analyze_reports_the_root_and_path_of_each_expression()
    {
        var (refs, errors) = Analyze("${workflow.input.a} and ${task_1.output.list[0]} and ${$.CPEWF_TASK_ID}");
        Assert.Empty(errors);
        Assert.Equal(
            [new("workflow", "workflow.input.a"), new("task_1", "task_1.output.list[0]"), new("CPEWF_TASK_ID", "CPEWF_TASK_ID")],
            refs);
    }

    [Fact]
    public void Analyze_returns_nothing_for_text_without_expressions_or_with_escapes()
    {
        var (refs, errors) = Analyze("plain $${workflow.input.a} ${} text");
        Assert.Empty(refs);
        Assert.Empty(errors);
    }

    [Fact]
    public void Analyze_reports_secret_references_with_the_workflow_root()
    {
        var (refs, errors) = Analyze("Bearer ${workflow.secrets.api-token} ${workflow.secrets.db.username}");
        Assert.Empty(errors);
        Assert.Equal([new("workflow", "workflow.secrets.api-token"), new("workflow", "workflow.secrets.db.username")], refs);
    }

    [Fact]
    public void Analyze_reports_the_inner_and_outer_roots_of_nested_expressions()
    {
        var (refs, errors) = Analyze("${task_1.output.${workflow.input.key}}");
        Assert.Empty(errors);
        Assert.Equal([new("workflow", "workflow.input.key"), new("task_1", "task_1.output.${workflow.input.key}")], refs);
    }

    [Fact]
    public void Analyze_reports_an_unterminated_expression()
    {
        var (refs, errors) = Analyze("x ${workflow.input.a");
        Assert.Empty(refs);
        Assert.Equal("unterminated '${' at 2 in 'x ${workflow.input.a'", Assert.Single(errors));
    }

    [Fact]
    public void Analyze_reports_a_bad_bracket()
    {
        var (_, errors) = Analyze("${workflow.input[}");
        Assert.Equal("bad path 'workflow.input[': expected ']' at 15", Assert.Single(errors));
    }

    [Fact]
    public void Analyze_reports_a_bad_filter()
    {
        var (_, errors) = Analyze("${workflow.input.items[?(@.kind == )].id}");
        Assert.Equal("bad path 'workflow.input.items[?(@.kind == )].id': expected a value at 33", Assert.Single(errors));
    }

    [Fact]
    public void Analyze_reports_a_path_without_a_root_name()
    {
        var (refs, errors) = Analyze("${$..id}");
        Assert.Empty(refs);
        Assert.StartsWith("bad path '$..id': must start with a name", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_keeps_going_after_an_error()
    {
        var (refs, errors) = Analyze("${workflow.input[} ${task_2.output}");
        Assert.Single(errors);
        Assert.Equal([new("task_2", "task_2.output")], refs);
    }

    [Fact]
    public void Analyze_rejects_absurdly_deep_nesting()
    {
        var text = string.Concat(Enumerable.Repeat("${a.", 40)) + "b" + new string('}', 40);
        var (_, errors) = Analyze(text);
        Assert.Contains(errors, e => e.StartsWith("expression nested too deeply", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("workflow.secrets.x", true)]
    [InlineData(" workflow.secrets.db.username ", true)]
    [InlineData("$.workflow.secrets.x", true)]
    [InlineData("workflow['secrets']['x']", true)]
    [InlineData("workflow.secrets", true)]
    [InlineData("workflow.secretsFoo", false)]
    [InlineData("workflow.input.secrets", false)]
    [InlineData("task.secrets.x", false)]
    public void IsSecretReference_recognises_workflow_secrets_paths(string path, bool expected)
    {
        Assert.Equal(expected, ExpressionSyntax.IsSecretReference(path));
    }

    [Theory]
    [InlineData("workflow.secrets.api-token", "api-token")]
    [InlineData("workflow.secrets.db.username", "db.username")]
    [InlineData("$['workflow']['secrets']['k']", "k")]
    public void TryGetSecretName_returns_the_name_after_workflow_secrets(string path, string expected)
    {
        Assert.True(ExpressionSyntax.TryGetSecretName(path, out var name));
        Assert.Equal(expected, name);
    }
}
