using System.Text.Json.Nodes;
using Baton.Core.Expressions;

namespace Baton.Core.Tests.Expressions;

public class ParameterEvaluatorTests
{
    private readonly TestScope scope = TestScope.Sample();

    private JsonNode? Eval(string text) => ParameterEvaluator.EvaluateString(text, scope);

    private string? Text(string text) => Eval(text)?.GetValue<string>();

    private static string Json(JsonNode? node) => node?.ToJsonString() ?? "null";

    [Fact]
    public void A_whole_string_expression_yields_a_string_value()
    {
        Assert.Equal("ada", Text("${workflow.input.name}"));
    }

    [Fact]
    public void A_whole_string_expression_keeps_the_type_of_numbers_and_booleans()
    {
        Assert.Equal(3, Eval("${workflow.input.count}")!.GetValue<int>());
        Assert.Equal(1.5, Eval("${workflow.input.ratio}")!.GetValue<double>());
        Assert.True(Eval("${workflow.input.flag}")!.GetValue<bool>());
    }

    [Fact]
    public void A_whole_string_expression_yields_objects_and_arrays_as_json()
    {
        Assert.Equal("""{"city":"Paris","zip":"75001"}""", Json(Eval("${workflow.input.address}")));
        Assert.Equal("""["a","b","c","d"]""", Json(Eval("${workflow.input.tags}")));
    }

    [Fact]
    public void A_whole_string_expression_of_a_json_null_yields_null()
    {
        Assert.Null(Eval("${workflow.input.nothing}"));
    }

    [Fact]
    public void Whitespace_around_the_path_is_ignored()
    {
        Assert.Equal("ada", Text("${ workflow.input.name }"));
    }

    [Fact]
    public void A_leading_dollar_dot_is_accepted()
    {
        Assert.Equal("ada", Text("${$.workflow.input.name}"));
    }

    [Fact]
    public void Interpolation_writes_strings_as_they_are()
    {
        Assert.Equal("Hello ada!", Text("Hello ${workflow.input.name}!"));
    }

    [Fact]
    public void Interpolation_writes_numbers_and_booleans_as_json_text()
    {
        Assert.Equal("n=3 r=1.5 f=true", Text("n=${workflow.input.count} r=${workflow.input.ratio} f=${workflow.input.flag}"));
    }

    [Fact]
    public void Interpolation_writes_objects_and_arrays_as_compact_json()
    {
        Assert.Equal("""a={"city":"Paris","zip":"75001"} t=["a","b","c","d"]""",
            Text("a=${workflow.input.address} t=${workflow.input.tags}"));
    }

    [Fact]
    public void Interpolation_writes_null_and_missing_values_as_null_like_conductor()
    {
        Assert.Equal("x=null y=null", Text("x=${workflow.input.nothing} y=${workflow.input.absent}"));
    }

    [Fact]
    public void Interpolation_does_not_escape_non_ascii_or_quotes()
    {
        var local = new TestScope(new JsonObject { ["workflow"] = new JsonObject { ["o"] = new JsonObject { ["s"] = "café \"x\" <b>" } } });
        Assert.Equal("""v={"s":"café \"x\" <b>"}""", ParameterEvaluator.EvaluateString("v=${workflow.o}", local)!.GetValue<string>());
    }

    [Fact]
    public void Two_adjacent_expressions_are_interpolated_as_text()
    {
        Assert.Equal("3ada", Text("${workflow.input.count}${workflow.input.name}"));
    }

    [Fact]
    public void Missing_paths_yield_null()
    {
        Assert.Null(Eval("${workflow.input.absent}"));
        Assert.Null(Eval("${workflow.input.address.street.number}"));
        Assert.Null(Eval("${workflow.input.tags[10]}"));
        Assert.Null(Eval("${unknownTask.output.x}"));
        Assert.Null(Eval("${workflow.input.name.length}"));
    }

    [Fact]
    public void A_path_that_does_not_parse_yields_null_instead_of_throwing()
    {
        Assert.Null(Eval("${workflow.input[}"));
        Assert.Equal("a null", Text("a ${workflow.input.tags[?(@ ==)]}"));
    }

    [Fact]
    public void Task_outputs_are_read_through_their_reference_name()
    {
        Assert.True(Eval("${task_1.output.result.ok}")!.GetValue<bool>());
        Assert.Equal("COMPLETED", Text("${task_1.status}"));
    }

    [Fact]
    public void Bracket_names_and_names_with_dashes_work()
    {
        Assert.Equal("dash", Text("${workflow.input.odd-key}"));
        Assert.Equal("spaced", Text("${workflow.input['my key']}"));
        Assert.Equal("Paris", Text("${workflow[\"input\"]['address'].city}"));
    }

    [Fact]
    public void Indices_wildcards_and_slices_work_in_expressions()
    {
        Assert.Equal("a", Text("${workflow.input.tags[0]}"));
        Assert.Equal("d", Text("${workflow.input.tags[-1]}"));
        Assert.Equal("[1,2,3]", Json(Eval("${workflow.input.items[*].id}")));
        Assert.Equal("""["b","c"]""", Json(Eval("${workflow.input.tags[1:3]}")));
    }

    [Fact]
    public void Filters_work_in_expressions()
    {
        Assert.Equal("[1,3]", Json(Eval("${workflow.input.items[?(@.kind == 'x')].id}")));
    }

    [Fact]
    public void A_filter_can_compare_with_an_absolute_path_read_through_the_scope()
    {
        Assert.Equal("[3]", Json(Eval("${workflow.input.items[?(@.id == $.workflow.input.count)].id}")));
        Assert.Equal("[2]", Json(Eval("${workflow.input.items[?(@.code == $.task_1.output.result.list[1])].id}")));
    }

    [Fact]
    public void An_indefinite_path_with_no_match_yields_an_empty_list_like_jayway()
    {
        Assert.Equal("[]", Json(Eval("${workflow.input.items[*].absent}")));
        Assert.Equal("[]", Json(Eval("${unknownTask.output[*]}")));
    }

    [Fact]
    public void Deep_scan_works_below_the_root_name()
    {
        Assert.Equal("""[true]""", Json(Eval("${task_1..ok}")));
    }

    [Fact]
    public void Nested_expressions_are_resolved_before_the_outer_path()
    {
        Assert.Equal("ada", Text("${workflow.input.${workflow.input.key}}"));
        Assert.Equal("x=ada", Text("x=${workflow.input.${workflow.input.key}}"));
    }

    [Fact]
    public void Doubly_nested_expressions_are_resolved_from_the_inside_out()
    {
        var local = new TestScope(JsonNode.Parse("""{"workflow":{"input":{"a":"b","b":"name","name":"deep"}}}""")!.AsObject());
        Assert.Equal("deep", ParameterEvaluator.EvaluateString(
            "${workflow.input.${workflow.input.${workflow.input.a}}}", local)!.GetValue<string>());
    }

    [Fact]
    public void A_nested_expression_resolving_to_nothing_yields_null()
    {
        Assert.Null(Eval("${workflow.input.${workflow.input.absent}}"));
    }

    [Fact]
    public void Dollar_dollar_brace_escapes_to_a_literal_dollar_brace()
    {
        Assert.Equal("${workflow.input.name}", Text("$${workflow.input.name}"));
        Assert.Equal("keep ${x} but ada", Text("keep $${x} but ${workflow.input.name}"));
    }

    [Fact]
    public void An_escape_is_not_applied_to_substituted_values()
    {
        var local = new TestScope(new JsonObject { ["workflow"] = new JsonObject { ["v"] = "$${raw}" } });
        Assert.Equal("v=$${raw}", ParameterEvaluator.EvaluateString("v=${workflow.v}", local)!.GetValue<string>());
    }

    [Fact]
    public void Empty_expressions_yield_the_empty_string()
    {
        Assert.Equal("", Text("${}"));
        Assert.Equal("", Text("${   }"));
        Assert.Equal("ab", Text("a${}b"));
    }

    [Fact]
    public void An_unterminated_expression_stays_literal_text()
    {
        Assert.Equal("a ${workflow.input.name", Text("a ${workflow.input.name"));
        Assert.Equal("${x ada", Text("${x ${workflow.input.name}"));
    }

    [Fact]
    public void CPEWF_TASK_ID_is_read_from_the_scope()
    {
        Assert.Equal("task-42", Text("${CPEWF_TASK_ID}"));
        Assert.Equal("id=task-42", Text("id=${CPEWF_TASK_ID}"));
    }

    [Fact]
    public void Environment_variable_names_never_read_the_server_environment()
    {
        Assert.False(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PATH")));
        Assert.Null(Eval("${PATH}"));
        Assert.Null(Eval("${HOME}"));
        Assert.Null(Eval("${NETFLIX_ENV}"));
        Assert.Equal("p=null", Text("p=${PATH}"));
    }

    [Fact]
    public void A_whole_string_secret_reference_stays_literal()
    {
        Assert.Equal("${workflow.secrets.api-token}", Text("${workflow.secrets.api-token}"));
        Assert.Equal("${workflow.secrets.db.username}", Text("${workflow.secrets.db.username}"));
    }

    [Fact]
    public void An_embedded_secret_reference_stays_literal_while_other_expressions_resolve()
    {
        Assert.Equal("Bearer ${workflow.secrets.t}", Text("Bearer ${workflow.secrets.t}"));
        Assert.Equal("ada:${workflow.secrets.pw}", Text("${workflow.input.name}:${workflow.secrets.pw}"));
    }

    [Fact]
    public void Secret_references_stay_literal_even_when_the_scope_holds_secrets()
    {
        var local = new TestScope(JsonNode.Parse("""{"workflow":{"secrets":{"t":"LEAKED"}}}""")!.AsObject());
        Assert.Equal("${workflow.secrets.t}", ParameterEvaluator.EvaluateString("${workflow.secrets.t}", local)!.GetValue<string>());
        Assert.Equal("${$.workflow.secrets.t}", ParameterEvaluator.EvaluateString("${$.workflow.secrets.t}", local)!.GetValue<string>());
        Assert.Equal("${workflow['secrets'].t}", ParameterEvaluator.EvaluateString("${workflow['secrets'].t}", local)!.GetValue<string>());
        Assert.Equal("${workflow.secrets}", ParameterEvaluator.EvaluateString("${workflow.secrets}", local)!.GetValue<string>());
    }

    [Fact]
    public void A_nested_expression_cannot_build_a_secret_reference()
    {
        var local = new TestScope(JsonNode.Parse("""{"workflow":{"input":{"p":"workflow.secrets.t"},"secrets":{"t":"LEAKED"}}}""")!.AsObject());
        Assert.Equal("${${workflow.input.p}}", ParameterEvaluator.EvaluateString("${${workflow.input.p}}", local)!.GetValue<string>());
    }

    [Fact]
    public void Templates_are_evaluated_recursively_through_objects_and_arrays()
    {
        var template = JsonNode.Parse("""
            {
              "name": "${workflow.input.name}",
              "count": "${workflow.input.count}",
              "greeting": "hi ${workflow.input.name}",
              "constant": 7,
              "plain": "no expression",
              "nil": null,
              "nested": { "city": "${workflow.input.address.city}", "list": ["${workflow.input.tags[0]}", 1, ["${task_1.taskId}"]] },
              "secret": "${workflow.secrets.k}"
            }
            """);
        var result = ParameterEvaluator.Evaluate(template, scope);
        Assert.Equal(
            """{"name":"ada","count":3,"greeting":"hi ada","constant":7,"plain":"no expression","nil":null,"nested":{"city":"Paris","list":["a",1,["t-1"]]},"secret":"${workflow.secrets.k}"}""",
            Json(result));
    }

    [Fact]
    public void Keys_whose_value_resolves_to_null_are_kept()
    {
        var result = ParameterEvaluator.EvaluateObject(new JsonObject { ["x"] = "${workflow.input.absent}" }, scope);
        Assert.True(result.ContainsKey("x"));
        Assert.Null(result["x"]);
    }

    [Fact]
    public void A_null_template_object_gives_an_empty_object()
    {
        Assert.Empty(ParameterEvaluator.EvaluateObject(null, scope));
        Assert.Null(ParameterEvaluator.Evaluate(null, scope));
    }

    [Fact]
    public void The_result_never_aliases_the_scope()
    {
        var before = scope.Roots.ToJsonString();
        var address = Eval("${workflow.input.address}")!.AsObject();
        address["city"] = "Lyon";
        var items = Eval("${workflow.input.items[?(@.kind == 'x')]}")!.AsArray();
        items[0]!["id"] = 99;
        var merged = Eval("${workflow.input['name','address']}")!.AsObject();
        merged["address"]!["zip"] = "0";
        var nested = ParameterEvaluator.Evaluate(new JsonObject { ["a"] = new JsonArray("${workflow.input.tags}") }, scope)!;
        nested["a"]![0]!.AsArray().Add("e");
        Assert.Equal(before, scope.Roots.ToJsonString());
    }

    [Fact]
    public void The_result_never_aliases_the_template()
    {
        var template = new JsonObject { ["o"] = new JsonObject { ["n"] = 1 }, ["a"] = new JsonArray(1, 2), ["s"] = "text" };
        var result = ParameterEvaluator.EvaluateObject(template, scope);
        result["o"]!["n"] = 2;
        result["a"]!.AsArray().Add(3);
        result["s"] = "changed";
        Assert.Equal("""{"o":{"n":1},"a":[1,2],"s":"text"}""", template.ToJsonString());
        Assert.NotSame(template["o"], result["o"]);
    }

    [Fact]
    public void The_same_template_string_evaluates_against_different_scopes()
    {
        var a = new TestScope(new JsonObject { ["workflow"] = new JsonObject { ["v"] = 1 } });
        var b = new TestScope(new JsonObject { ["workflow"] = new JsonObject { ["v"] = "two" } });
        Assert.Equal(1, ParameterEvaluator.EvaluateString("${workflow.v}", a)!.GetValue<int>());
        Assert.Equal("two", ParameterEvaluator.EvaluateString("${workflow.v}", b)!.GetValue<string>());
    }

    [Fact]
    public void Evaluation_is_safe_from_many_threads()
    {
        var results = new string?[2000];
        Parallel.For(0, results.Length, i =>
        {
            var local = new TestScope(new JsonObject { ["workflow"] = new JsonObject { ["input"] = new JsonObject { ["i"] = i } } });
            results[i] = ParameterEvaluator.EvaluateString($"n=${{workflow.input.i}} k={i % 7}", local)!.GetValue<string>();
        });
        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal($"n={i} k={i % 7}", results[i]);
        }
    }
}
