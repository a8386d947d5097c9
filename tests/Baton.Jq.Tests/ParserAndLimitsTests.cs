using System.Text.Json.Nodes;

namespace Baton.Jq.Tests;

/// <summary>The parser's errors and bounds, the run-time budgets, and the public surface (variables, First/Single,
/// results that can go into another document, a compiled program shared by threads).</summary>
public sealed class ParserAndLimitsTests
{
    private static JqParseException ParseError(string program, JqLimits? limits = null) =>
        Assert.Throws<JqParseException>(() => JqProgram.Compile(program, limits, variables: []));

    private static JqRuntimeException RunError(string program, string input = "null", JqLimits? limits = null) =>
        Assert.Throws<JqRuntimeException>(() => JqProgram.Compile(program, limits).Run(JsonNode.Parse(input)));

    private static string Run(string program, string input = "null") =>
        string.Join(" ", JqProgram.Compile(program).Run(JsonNode.Parse(input)).Select(r => r?.ToJsonString() ?? "null"));

    [Fact]
    public void A_syntax_error_says_what_and_where()
    {
        var e = ParseError(".a |\n  .b + )");
        Assert.Equal(2, e.Line);
        Assert.Equal(8, e.Column);
        Assert.Contains("unexpected ')'", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 2, column 8", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("if . then 1 end", "else")]
    [InlineData("\"abc", "unterminated string")]
    [InlineData("\"\\q\"", "invalid escape")]
    [InlineData("nosuch(1)", "nosuch/1 is not defined")]
    [InlineData("$nope", "$nope is not defined")]
    [InlineData("break $out", "$*label-out is not defined")]
    [InlineData("1 == 2 == 3", "comparisons do not chain")]
    [InlineData("{a: 1 2}", "expected ',' or '}'")]
    [InlineData("@nosuch", "@nosuch is not a valid format")]
    [InlineData("import \"x\" as x; .", "modules")]
    [InlineData(". as [$a] ?// $a | $a", "?//")]
    public void Each_kind_of_bad_program_has_its_own_message(string program, string expected) =>
        Assert.Contains(expected, ParseError(program).Message, StringComparison.Ordinal);

    [Fact]
    public void The_source_length_is_bounded()
    {
        var e = ParseError(new string(' ', 100) + ".", JqLimits.Default with { MaxSourceLength = 50 });
        Assert.Contains("longer than 50 characters", e.Message, StringComparison.Ordinal);
        Assert.Contains("longer than 65536", ParseError(new string('1', 70_000)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[", "]")]
    [InlineData("(", ")")]
    [InlineData("{a:", "}")]
    [InlineData("\"\\(", ")\"")]
    [InlineData("-", "")]
    [InlineData("if . then ", " else . end")]
    public void The_nesting_depth_is_bounded(string open, string close)
    {
        var deep = string.Concat(Enumerable.Repeat(open, 300)) + "1" + string.Concat(Enumerable.Repeat(close, 300));
        Assert.Contains("nested more than 256 levels", ParseError(deep).Message, StringComparison.Ordinal);
        var shallow = string.Concat(Enumerable.Repeat(open, 40)) + "1" + string.Concat(Enumerable.Repeat(close, 40));
        _ = JqProgram.Compile(shallow);
    }

    [Fact]
    public void Long_operator_chains_count_as_depth_but_long_lists_and_pipes_do_not()
    {
        Assert.Contains("nested more than", ParseError(string.Join(" + ", Enumerable.Repeat("1", 400))).Message, StringComparison.Ordinal);
        Assert.Equal("10000", Run("[" + string.Join(",", Enumerable.Range(0, 10_000)) + "] | length"));
        Assert.Equal("2000", Run(string.Join(" | ", Enumerable.Repeat(". + 1", 2_000)), "0"));
        Assert.Equal("3", Run(string.Concat(Enumerable.Range(0, 500).Select(i => $"def f{i}: {i}; ")) + "f3"));
    }

    [Theory]
    [InlineData("def f: f; f")]
    [InlineData("def f: 1 + f; f")]
    [InlineData("def f: [f]; f")]
    [InlineData("def f(g): f(g | g); f(.)")]
    public void Unbounded_recursion_ends_with_a_limit_error(string program)
    {
        var e = RunError(program);
        Assert.True(e.IsLimit);
        Assert.Contains("recursed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("last(range(1e18))", "steps")]
    [InlineData("reduce range(1e12) as $x (0; . + 1)", "steps")]
    [InlineData("until(false; .)", "steps")]
    [InlineData("last(repeat(1))", "steps")]
    [InlineData("repeat(empty)", "steps")]
    [InlineData("[range(1e8)]", "more than 1000000 elements")]
    [InlineData("\"x\" * 1e9", "longer than")]
    [InlineData("\"ab\" * 1e400", "longer than")]
    [InlineData("[range(30)] | reduce .[] as $x (\"ab\"; . + .)", "longer than")]
    [InlineData("range(1e18)", "more than 100000 results")]
    [InlineData("[limit(1e7; repeat(\"xx\"))] | add", "elements")]
    public void Runaway_programs_end_with_a_limit_error(string program, string expected)
    {
        var e = RunError(program);
        Assert.True(e.IsLimit, e.Message);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_limit_error_cannot_be_caught_by_try()
    {
        Assert.True(RunError("try (def f: f; f) catch \"caught\"").IsLimit);
        Assert.True(RunError("[.[]?, (last(range(1e18)))?]").IsLimit);
    }

    [Fact]
    public void Deep_recursion_within_the_limits_works_on_a_small_stack()
    {
        string? result = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = Run("def f: if . == 0 then 0 else (. - 1 | f) + 1 end; f", "1500");
            }
            catch (JqRuntimeException e)
            {
                error = e;
            }
        }, 256 * 1024);
        thread.Start();
        thread.Join();
        // On a small stack the guard may stop it first; either way it ends without crashing the process.
        Assert.True(result == "1500" || (error is JqRuntimeException { IsLimit: true }), $"{result} {error}");
    }

    [Fact]
    public void Values_built_deeper_than_the_limit_are_refused_where_they_are_walked()
    {
        var e = RunError("reduce range(5000) as $i (null; [.]) | tojson");
        Assert.True(e.IsLimit);
        Assert.Equal("5000", Run("[recurse(if . < 5000 then . + 1 else empty end)] | length", "1"));
        Assert.Equal("10000", Run("last(range(10000) | [.]) | .[0] + 1"));
    }

    [Fact]
    public void Runtime_errors_carry_jqs_value_and_message()
    {
        var e = RunError("error({\"code\": 7})");
        Assert.Equal(7, e.Value!["code"]!.GetValue<double>());
        Assert.Equal("{\"code\":7} (not a string)", e.Message);
        Assert.False(e.IsLimit);
        Assert.Equal("Cannot iterate over number (5)", RunError(".[]", "5").Message);
        Assert.Equal("number (1) and string (\"a\") cannot be added", RunError("1 + \"a\"").Message);
        Assert.Contains("not supported", RunError("input").Message, StringComparison.Ordinal);
        Assert.Equal("bad", RunError("\"bad\" | halt_error").Value!.GetValue<string>());
    }

    [Fact]
    public void Variables_are_bound_by_the_caller_and_checked_when_named()
    {
        var program = JqProgram.Compile("$secrets.token + \"-\" + .id", variables: ["secrets"]);
        var vars = new Dictionary<string, JsonNode?> { ["secrets"] = new JsonObject { ["token"] = "t0k" } };
        Assert.Equal("t0k-9", program.First(new JsonObject { ["id"] = "9" }, vars)!.GetValue<string>());
        Assert.Contains("$other is not defined", Assert.Throws<JqParseException>(() => JqProgram.Compile("$other", variables: ["secrets"])).Message, StringComparison.Ordinal);
        Assert.Contains("$x is not defined", Assert.Throws<JqRuntimeException>(() => JqProgram.Compile("$x").Run(null)).Message, StringComparison.Ordinal);
        Assert.Equal("{}", Run("$ENV"));
        Assert.Equal("{}", Run("env"));
    }

    [Fact]
    public void First_TryFirst_and_Single()
    {
        var many = JqProgram.Compile(".[]");
        Assert.Equal(1, many.First(JsonNode.Parse("[1,2]"))!.GetValue<double>());
        Assert.False(many.TryFirst(JsonNode.Parse("[]"), null, out var none));
        Assert.Null(none);
        Assert.Contains("2 results", Assert.Throws<JqRuntimeException>(() => many.Single(JsonNode.Parse("[1,2]"))).Message, StringComparison.Ordinal);
        Assert.Equal(5, many.Single(JsonNode.Parse("[5]"))!.GetValue<double>());
        // First stops the program at the first result: the error after it is never reached.
        Assert.Equal(1, JqProgram.Compile("1, error(\"x\")").First(null)!.GetValue<double>());
    }

    [Fact]
    public void Results_can_go_into_another_document_and_the_input_is_left_unchanged()
    {
        var input = JsonNode.Parse("{\"a\":{\"b\":[1,2]},\"c\":3}")!;
        var before = input.ToJsonString();
        var target = new JsonObject();
        foreach (var program in new[] { ".a", ".a.b[0]", ".a.b", "[1] as $x | $x, $x", ".a = 5", "del(.c)", ". as $d | [$d, $d]", "[.a, .a]" })
        {
            var results = JqProgram.Compile(program).Run(input);
            foreach (var r in results) target[$"{program}#{target.Count}"] = r is JsonNode n && ReferenceEquals(n, input) ? n.DeepClone() : r;
        }
        Assert.Equal(before, input.ToJsonString());
        Assert.True(target.Count >= 9);
    }

    [Fact]
    public void Non_finite_numbers_come_out_as_jq_prints_them()
    {
        Assert.Equal("[1.7976931348623157E+308,-1.7976931348623157E+308,null]", Run("[infinite, -infinite, nan]"));
        Assert.Equal("null", Run("nan"));
    }

    [Fact]
    public void A_compiled_program_runs_on_many_threads_at_once()
    {
        var program = JqProgram.Compile("[.items[] | select(.n % 2 == 0) | .n * 10] | add");
        var failures = 0;
        Parallel.For(0, 2_000, i =>
        {
            var input = new JsonObject { ["items"] = new JsonArray([.. Enumerable.Range(i, 10).Select(n => (JsonNode)new JsonObject { ["n"] = n })]) };
            var expected = Enumerable.Range(i, 10).Where(n => n % 2 == 0).Sum(n => n * 10);
            if (program.Single(input)!.GetValue<double>() != expected) Interlocked.Increment(ref failures);
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void The_simple_path_walk_agrees_with_the_general_evaluator()
    {
        var doc = JsonNode.Parse("{\"a\":{\"b\":[10,20]},\"s\":\"x\",\"n\":null}");
        foreach (var (path, expected) in new[] { (".a.b[0]", "10"), (".a.b[-1]", "20"), (".a.b[5]", "null"), (".n.x", "null"), (".missing.b", "null"), (".a.b[1.5]", "null") })
            Assert.Equal(expected, Run(path, doc!.ToJsonString()));
        Assert.Equal("Cannot index string with string \"b\"", RunError(".s.b", doc!.ToJsonString()).Message);
        Assert.Equal("Cannot index object with number", RunError(".a[0]", doc.ToJsonString()).Message);
    }
}
