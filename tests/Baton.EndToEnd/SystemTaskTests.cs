using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

[Collection(SharedServer.Name)]
public sealed class SystemTaskTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;
    private readonly string _peer = fixture.Peer.BaseUrl;

    private async Task<JsonObject> RunAsync(JsonObject def, JsonObject? input = null)
    {
        await _client.RegisterWorkflowAsync(def);
        var name = def["name"]!.GetValue<string>();
        var reply = await _client.PostAsync($"/api/workflow/execute/{name}/1", new JsonObject { ["input"] = input ?? new JsonObject() });
        reply.ShouldBe(HttpStatusCode.OK);
        return reply.Object;
    }

    private static JsonObject Task(JsonObject run, string reference) =>
        run["tasks"]!.AsArray().Last(t => t!["referenceTaskName"]!.GetValue<string>() == reference)!.AsObject();

    [Fact]
    public async Task An_http_task_sends_what_the_definition_says_and_keeps_the_parsed_response()
    {
        var name = Defs.Unique("http");
        var def = Defs.Workflow(name, Defs.Http("call", $"{_peer}/echo/items?page=${{workflow.input.page}}", "POST",
            body: new JsonObject { ["id"] = "${workflow.input.id}", ["fixed"] = true },
            headers: new JsonObject { ["X-Request"] = "req-${workflow.input.id}" }));
        var run = await RunAsync(def, new JsonObject { ["id"] = 42, ["page"] = 3 });

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var response = Task(run, "call")["outputData"]!["response"]!;
        Assert.Equal(200, response["statusCode"]!.GetValue<int>());
        Assert.Equal("OK", response["reasonPhrase"]!.GetValue<string>());
        var echoed = response["body"] ?? throw new Xunit.Sdk.XunitException(response.ToJsonString());
        Assert.Equal("POST", echoed["method"]!.GetValue<string>());
        Assert.Equal("/echo/items", echoed["path"]!.GetValue<string>());
        Assert.Equal("?page=3", echoed["query"]!.GetValue<string>());
        Assert.Equal("req-42", echoed["headers"]!["x-request"]!.GetValue<string>());
        Assert.Equal(42, echoed["body"]!["id"]!.GetValue<int>());
        Assert.True(echoed["body"]!["fixed"]!.GetValue<bool>());
        Assert.Contains("application/json", response["headers"]!["Content-Type"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flat_http_inputs_work_like_nested_ones_and_text_bodies_stay_text()
    {
        var name = Defs.Unique("flat");
        var def = Defs.Workflow(name, Defs.Parse($$"""
            { "name": "t", "taskReferenceName": "t", "type": "HTTP",
              "inputParameters": { "uri": "{{_peer}}/text", "method": "GET", "accept": "text/plain" } }
            """));
        var run = await RunAsync(def);
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal("plain words", Task(run, "t")["outputData"]!["response"]!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_non_2xx_answer_fails_the_task_with_the_status_in_the_reason_and_keeps_the_response()
    {
        var name = Defs.Unique("status");
        var run = await RunAsync(Defs.Workflow(name, Defs.Http("call", $"{_peer}/status/503")));
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        var task = Task(run, "call");
        Assert.Equal("FAILED", task["status"]!.GetValue<string>());
        Assert.Contains("503", task["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(503, task["outputData"]!["response"]!["statusCode"]!.GetValue<int>());
        Assert.Contains($"Task {task["taskId"]} failed with status: FAILED", run["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_peer_fails_the_task_after_its_read_timeout()
    {
        var name = Defs.Unique("slow");
        var call = Defs.Http("call", $"{_peer}/delay/3000");
        call["inputParameters"]!["http_request"]!["readTimeOut"] = 200;
        var run = await RunAsync(Defs.Workflow(name, call));
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Contains("within 200 ms", Task(run, "call")["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_inline_script_sees_its_inputs_as_dollar_and_returns_result()
    {
        var name = Defs.Unique("inline");
        var def = Defs.Workflow(name, Defs.Inline("calc", "(function(){ return { sum: $.a + $.b, names: $.list.map(function(x){ return x.toUpperCase(); }) }; })()",
            new JsonObject { ["a"] = "${workflow.input.a}", ["b"] = 2, ["list"] = new JsonArray("x", "y") }));
        var run = await RunAsync(def, new JsonObject { ["a"] = 40 });
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var result = Task(run, "calc")["outputData"]!["result"]!;
        Assert.Equal(42, result["sum"]!.GetValue<int>());
        Assert.Equal("[\"X\",\"Y\"]", result["names"]!.ToJsonString());
        Assert.Equal(42, run["output"]!["result"]!["sum"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("while(true){}", "longer than")]
    [InlineData("function f(n){ return f(n+1); } f(0)", "recursed deeper")]
    [InlineData("var a=[]; while(true){ a.push(new Array(1000000).fill(1)); }", "more than")]
    [InlineData("this is not javascript", "does not parse")]
    [InlineData("throw new Error('boom')", "threw")]
    public async Task A_script_that_runs_away_or_breaks_fails_its_task_and_the_server_goes_on(string script, string reason)
    {
        var name = Defs.Unique("runaway");
        var run = await RunAsync(Defs.Workflow(name, Defs.Inline("bad", script)));
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Contains(reason, Task(run, "bad")["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
        (await _client.GetAsync("/health/live")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_script_cannot_reach_dotnet_or_the_host()
    {
        var name = Defs.Unique("sandbox");
        var run = await RunAsync(Defs.Workflow(name, Defs.Inline("probe",
            "(function(){ return [typeof System, typeof importNamespace, typeof require, typeof process].join(','); })()")));
        Assert.Equal("undefined,undefined,undefined,undefined", Task(run, "probe")["outputData"]!["result"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_switch_on_a_value_param_takes_the_matching_case_and_then_goes_on()
    {
        var name = Defs.Unique("switch");
        var def = Defs.Workflow(name,
            Defs.Parse("""
            { "name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "value-param", "expression": "kind",
              "inputParameters": { "kind": "${workflow.input.kind}" },
              "decisionCases": {
                "a": [ { "name": "in_a", "taskReferenceName": "in_a", "type": "SET_VARIABLE", "inputParameters": { "path": "a" } } ],
                "b": [ { "name": "in_b", "taskReferenceName": "in_b", "type": "SET_VARIABLE", "inputParameters": { "path": "b" } } ]
              },
              "defaultCase": [ { "name": "in_default", "taskReferenceName": "in_default", "type": "SET_VARIABLE", "inputParameters": { "path": "default" } } ] }
            """),
            Defs.Parse("""{ "name": "after", "taskReferenceName": "after", "type": "NOOP" }"""));
        def["outputParameters"] = new JsonObject { ["path"] = "${workflow.variables.path}" };

        var b = await RunAsync(def, new JsonObject { ["kind"] = "b" });
        Assert.Equal("b", b["output"]!["path"]!.GetValue<string>());
        Assert.Equal("[\"b\"]", Task(b, "route")["outputData"]!["evaluationResult"]!.ToJsonString());
        Assert.Equal(["route", "in_b", "after"], b["tasks"]!.AsArray().Select(t => t!["referenceTaskName"]!.GetValue<string>()));

        var other = await RunAsync(def, new JsonObject { ["kind"] = "zzz" });
        Assert.Equal("default", other["output"]!["path"]!.GetValue<string>());
        var missing = await RunAsync(def);
        Assert.Equal("[\"null\"]", Task(missing, "route")["outputData"]!["evaluationResult"]!.ToJsonString());
    }

    [Fact]
    public async Task A_javascript_switch_evaluates_its_expression_over_the_inputs()
    {
        var name = Defs.Unique("jsswitch");
        var def = Defs.Workflow(name, Defs.Parse("""
            { "name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "javascript",
              "expression": "$.amount > 100 ? 'big' : 'small'",
              "inputParameters": { "amount": "${workflow.input.amount}" },
              "decisionCases": {
                "big": [ { "name": "big", "taskReferenceName": "big", "type": "TERMINATE",
                           "inputParameters": { "terminationStatus": "COMPLETED", "workflowOutput": { "size": "big" } } } ],
                "small": [ { "name": "small", "taskReferenceName": "small", "type": "TERMINATE",
                           "inputParameters": { "terminationStatus": "COMPLETED", "workflowOutput": { "size": "small" } } } ]
              } }
            """));
        Assert.Equal("big", (await RunAsync(def, new JsonObject { ["amount"] = 500 }))["output"]!["size"]!.GetValue<string>());
        Assert.Equal("small", (await RunAsync(def, new JsonObject { ["amount"] = 5 }))["output"]!["size"]!.GetValue<string>());
    }

    [Fact]
    public async Task Terminate_ends_the_run_with_its_status_output_and_reason_and_nothing_after_runs()
    {
        var name = Defs.Unique("terminate");
        var def = Defs.Workflow(name,
            Defs.Parse("""{ "name": "stop", "taskReferenceName": "stop", "type": "TERMINATE", "inputParameters": { "terminationStatus": "FAILED", "terminationReason": "no stock", "workflowOutput": "plain" } }"""),
            Defs.Parse("""{ "name": "never", "taskReferenceName": "never", "type": "NOOP" }"""));
        var run = await RunAsync(def);
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Equal("no stock", run["reasonForIncompletion"]!.GetValue<string>());
        Assert.Equal("plain", run["output"]!["output"]!.GetValue<string>());
        Assert.Single(run["tasks"]!.AsArray());

        var quiet = Defs.Unique("terminate_ok");
        var done = await RunAsync(Defs.Workflow(quiet, Defs.Parse("""{ "name": "stop", "taskReferenceName": "stop", "type": "TERMINATE", "inputParameters": { "terminationStatus": "COMPLETED" } }""")));
        Assert.Equal("COMPLETED", done["status"]!.GetValue<string>());
        Assert.StartsWith("Workflow is COMPLETED by TERMINATE task: ", done["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_variable_values_are_readable_by_later_tasks_and_in_the_run()
    {
        var name = Defs.Unique("vars");
        var def = Defs.Workflow(name,
            Defs.Parse("""{ "name": "set", "taskReferenceName": "set", "type": "SET_VARIABLE", "inputParameters": { "greeting": "hello ${workflow.input.who}", "n": 7 } }"""),
            Defs.Inline("use", "$.g + '!' + $.n", new JsonObject { ["g"] = "${workflow.variables.greeting}", ["n"] = "${workflow.variables.n}" }));
        var run = await RunAsync(def, new JsonObject { ["who"] = "baton" });
        Assert.Equal("hello baton", run["variables"]!["greeting"]!.GetValue<string>());
        Assert.Equal("hello baton!7", Task(run, "use")["outputData"]!["result"]!.GetValue<string>());
    }

    [Fact]
    public async Task Task_outputs_feed_later_inputs_and_the_output_parameters()
    {
        var name = Defs.Unique("chain");
        var def = Defs.Workflow(name,
            Defs.Http("first", $"{_peer}/echo", "POST", body: new JsonObject { ["n"] = "${workflow.input.n}" }),
            Defs.Inline("double", "$.v * 2", new JsonObject { ["v"] = "${first.output.response.body.body.n}" }),
            Defs.Http("second", $"{_peer}/echo", "POST", body: new JsonObject { ["d"] = "${double.output.result}", ["id"] = "${CPEWF_TASK_ID}" }));
        def["outputParameters"] = new JsonObject { ["d"] = "${second.output.response.body.body.d}", ["all"] = "${workflow.input}" };
        var run = await RunAsync(def, new JsonObject { ["n"] = 21 });
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal(42, run["output"]!["d"]!.GetValue<int>());
        Assert.Equal(21, run["output"]!["all"]!["n"]!.GetValue<int>());
        var second = Task(run, "second");
        Assert.Equal(second["taskId"]!.GetValue<string>(), second["inputData"]!["http_request"]!["body"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_expression_never_reads_the_servers_environment()
    {
        var name = Defs.Unique("env");
        // Written plainly, such a reference is refused when the definition is saved...
        var refused = await _client.PostAsync("/api/metadata/workflow", Defs.Workflow(name, Defs.Inline("peek", "$.home", new JsonObject { ["home"] = "${HOME}" })));
        refused.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("'HOME'", refused.Text, StringComparison.Ordinal);

        // ...and built at run time from input, it reads nothing.
        var run = await RunAsync(Defs.Workflow(name, Defs.Inline("peek", "[$.a, $.b]",
            new JsonObject { ["a"] = "${${workflow.input.first}}", ["b"] = "${${workflow.input.second}}" })),
            new JsonObject { ["first"] = "HOME", ["second"] = "PATH" });
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal("[null,null]", Task(run, "peek")["outputData"]!["result"]!.ToJsonString());
    }

    [Fact]
    public async Task Without_output_parameters_the_run_output_is_the_last_tasks_output()
    {
        var name = Defs.Unique("lastout");
        var run = await RunAsync(Defs.Workflow(name, Defs.Inline("one", "1"), Defs.Inline("two", "'second'")));
        Assert.Equal("second", run["output"]!["result"]!.GetValue<string>());
        Assert.Equal(1, Task(run, "one")["seq"]!.GetValue<int>());
    }
}
