using System.Text.Json.Nodes;
using Baton.Core.Expressions;

namespace Baton.Core.Tests.Expressions;

/// <summary>
/// The explicit bounds on the expression parsers and evaluators (issue 13 finding 3): past them, a syntax error that
/// says which bound, never a stack overflow.
/// </summary>
public sealed class ExpressionBoundsTests
{
    private static string Repeat(string unit, int count) => string.Concat(Enumerable.Repeat(unit, count));

    private static JsonPathSyntaxException ParseFails(string path) => Assert.Throws<JsonPathSyntaxException>(() => JsonPath.Parse(path));

    [Fact]
    public void The_issue_13_expression_with_200000_negations_is_a_syntax_error()
    {
        var path = "workflow.input.a[?(" + new string('!', 200_000) + "@.b)]";
        var syntaxError = ParseFails(path);
        Assert.Contains("longer than", syntaxError.Reason, StringComparison.Ordinal);
        Assert.True(syntaxError.Message.Length < 300, $"the message echoes the whole path: {syntaxError.Message.Length} characters");

        var errors = new List<string>();
        ExpressionSyntax.Analyze("${" + path + "}", errors);
        var error = Assert.Single(errors);
        Assert.True(error.Length < 300, $"the error echoes the whole expression: {error.Length} characters");
    }

    [Fact]
    public void Negations_deeper_than_the_nesting_bound_are_a_syntax_error()
    {
        Assert.NotNull(JsonPath.Parse("workflow.input.a[?(" + new string('!', 10) + "@.b)]"));
        var error = ParseFails("workflow.input.a[?(" + new string('!', JsonPathParser.MaxNesting) + "@.b)]");
        Assert.Contains("nested too deeply", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(")]
    [InlineData("!(")]
    [InlineData("@[?(")]
    public void Every_kind_of_filter_nesting_counts_towards_the_bound(string unit)
    {
        var error = ParseFails("a[?(" + Repeat(unit, JsonPathParser.MaxNesting) + "@.b");
        Assert.Contains("nested too deeply", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_longer_than_the_length_bound_is_a_syntax_error()
    {
        Assert.NotNull(JsonPath.Parse("a." + new string('b', JsonPathParser.MaxLength - 2)));
        var error = ParseFails("a." + new string('b', JsonPathParser.MaxLength - 1));
        Assert.Contains($"longer than {JsonPathParser.MaxLength} characters", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_with_more_steps_than_the_bound_is_a_syntax_error_counting_steps_inside_filters()
    {
        Assert.NotNull(JsonPath.Parse("a" + Repeat(".b", JsonPathParser.MaxSegments - 1)));
        Assert.Contains("steps", ParseFails("a" + Repeat(".b", JsonPathParser.MaxSegments)).Reason, StringComparison.Ordinal);
        var inFilters = "a" + Repeat("[?(@.b.b.b", 20) + Repeat(")]", 20) + Repeat(".b", JsonPathParser.MaxSegments - 60);
        Assert.Contains("steps", ParseFails(inFilters).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_chain_of_filters_on_one_object_evaluates_without_overflowing()
    {
        // Each [?(@)] hands the same object to the next step: the walk is as deep as the path is long.
        var path = JsonPath.Parse("a" + Repeat("[?(@)]", JsonPathParser.MaxSegments - 1));
        var root = new JsonObject { ["a"] = new JsonObject { ["b"] = 1 } };
        Assert.Equal(1, path.Evaluate(root)![0]!["b"]!.GetValue<int>());
    }

    [Fact]
    public void A_long_or_chain_evaluates_as_one_list_of_alternatives()
    {
        var path = JsonPath.Parse("a[?(" + string.Join(" || ", Enumerable.Range(0, 300).Select(i => $"@=={i}")) + ")]");
        var root = new JsonObject { ["a"] = new JsonArray(5, 299, 300) };
        Assert.Equal("[5,299]", path.Evaluate(root)!.ToJsonString());
    }

    [Fact]
    public void A_deep_scan_walks_a_value_100000_arrays_deep_without_overflowing()
    {
        JsonNode deep = new JsonObject { ["x"] = "bottom" };
        for (var i = 0; i < 100_000; i++)
        {
            deep = new JsonArray(deep);
        }

        var scope = new TestScope(new JsonObject { ["workflow"] = new JsonObject { ["input"] = deep } });
        Assert.Equal("[\"bottom\"]", ParameterEvaluator.EvaluateString("${workflow.input..x}", scope)!.ToJsonString());
        Assert.Equal("[\"bottom\"]", ParameterEvaluator.EvaluateString("${workflow.input..[?(@.x)].x}", scope)!.ToJsonString());
    }

    [Fact]
    public void A_deep_scan_still_visits_parents_before_children_in_document_order()
    {
        var root = JsonNode.Parse("""{ "x": 1, "a": { "x": 2, "b": [{ "x": 3 }, { "x": 4 }] }, "c": { "x": 5 } }""");
        Assert.Equal("[1,2,3,4,5]", JsonPath.Parse("$..x").Evaluate(root)!.ToJsonString());
    }

    [Fact]
    public void A_template_nested_deeper_than_the_bound_is_refused_not_overflowed()
    {
        JsonNode deep = "${workflow.input.name}";
        for (var i = 0; i < 100_000; i++)
        {
            deep = new JsonArray(deep);
        }

        var error = Assert.Throws<ArgumentException>(() => ParameterEvaluator.Evaluate(deep, TestScope.Sample()));
        Assert.Contains($"deeper than {ParameterEvaluator.MaxTemplateDepth}", error.Message, StringComparison.Ordinal);

        JsonNode allowed = "${workflow.input.name}";
        for (var i = 1; i < ParameterEvaluator.MaxTemplateDepth; i++)
        {
            allowed = new JsonArray(allowed);
        }

        Assert.Contains("ada", ParameterEvaluator.Evaluate(allowed, TestScope.Sample())!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Many_unterminated_expressions_are_one_short_error()
    {
        var errors = new List<string>();
        ExpressionSyntax.Analyze(Repeat("${", 5_000), errors);
        var error = Assert.Single(errors);
        Assert.True(error.Length < 300, $"the error echoes the whole text: {error.Length} characters");
    }

    [Fact]
    public void Expressions_after_an_unterminated_one_are_still_found()
    {
        var errors = new List<string>();
        var references = ExpressionSyntax.Analyze("${ ${task_1.output.a} ${workflow.input.b} ${", errors);
        Assert.Equal(["task_1", "workflow"], references.Select(r => r.Root));
        Assert.Single(errors);
        Assert.Equal("${ ${ x-t-1-y", ParameterEvaluator.EvaluateString("${ ${ x-${task_1.taskId}-y", TestScope.Sample())!.GetValue<string>());
    }

    [Fact]
    public void A_bad_path_error_quotes_a_long_path_only_in_part()
    {
        var errors = new List<string>();
        ExpressionSyntax.Analyze("${workflow.input.a[" + new string('b', 3_000) + "}", errors);
        var error = Assert.Single(errors);
        Assert.True(error.Length < 300, $"the error echoes the whole expression: {error.Length} characters");
    }

    private static JsonNode Chain(int depth, JsonNode bottom)
    {
        var node = bottom;
        for (var i = 0; i < depth; i++)
        {
            node = new JsonObject { ["a"] = node };
        }

        return node;
    }

    [Fact]
    public void Deep_scans_that_multiply_stop_at_the_work_bound_and_find_nothing()
    {
        // Ten scans down a 60-deep chain would visit C(60, 10), about 7.5e10, combinations.
        var root = Chain(60, 1);
        Assert.Equal("[]", JsonPath.Parse("$" + Repeat("..*", 10)).Evaluate(root)!.ToJsonString());
        var scope = new TestScope(new JsonObject { ["workflow"] = new JsonObject { ["input"] = root } });
        Assert.Equal("[]", ParameterEvaluator.EvaluateString("${workflow.input" + Repeat("..*", 10) + "}", scope)!.ToJsonString());
        Assert.Equal(60, JsonPath.Parse("$..*").Evaluate(root)!.AsArray().Count);
    }

    [Fact]
    public void Copying_matches_counts_towards_the_work_bound()
    {
        // Every level of the chain matches and holds the whole array: 60 copies of 20,000 numbers.
        var root = Chain(60, new JsonArray([.. Enumerable.Range(0, 20_000).Select(i => (JsonNode)i)]));
        Assert.Equal("[]", JsonPath.Parse("$..*").Evaluate(root)!.ToJsonString());
        Assert.Equal(20_000, JsonPath.Parse("$..a[0:]").Evaluate(root)!.AsArray().Count);
    }
}
