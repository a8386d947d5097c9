using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>Secrets moving through a run: variables, rotation inside a workflow, and environment values.</summary>
[Collection(SharedServer.Name)]
public sealed class SecretFlowTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;
    private readonly EchoPeer _peer = fixture.Peer;

    private static string NewValue() => "val-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());




    [Fact]
    public async Task A_variable_set_from_a_secret_reference_holds_the_reference_and_a_later_task_gets_the_value()
    {
        var value = NewValue();
        var secret = await _client.NewSecretAsync(value);
        var marker = Guid.NewGuid().ToString("N");
        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("setvar"),
            Defs.Parse($$"""{ "name": "keep", "taskReferenceName": "keep", "type": "SET_VARIABLE", "inputParameters": { "auth": "Bearer ${workflow.secrets.{{secret}}}" } }"""),
            Defs.Http("use", $"{_peer.BaseUrl}/echo", headers: new JsonObject { ["Authorization"] = "${workflow.variables.auth}", ["X-Marker"] = marker })));

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal($"Bearer {value}", _peer.Received(marker)["headers"]!["authorization"]!.GetValue<string>());
        Assert.Equal($"Bearer ${{workflow.secrets.{secret}}}", run["variables"]!["auth"]!.GetValue<string>());
        Assert.DoesNotContain(value, (await _client.GetAsync($"/api/workflow/{run["workflowId"]}")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_secret_rotates_a_token_from_an_earlier_output_and_that_output_is_redacted_in_the_store()
    {
        var secret = Defs.Unique("rotated").Replace('_', '-');
        await _client.PutSecretAsync(secret, NewValue());
        var fresh = NewValue();
        var marker = Guid.NewGuid().ToString("N");
        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("refresh"),
            Defs.Http("login", $"{_peer.BaseUrl}/echo", "POST", body: new JsonObject { ["access_token"] = "${workflow.input.issued}" }),
            Defs.Parse($$"""
                { "name": "store", "taskReferenceName": "store", "type": "UPDATE_SECRET",
                  "inputParameters": { "_secrets": { "secretKey": "{{secret}}", "secretValue": "${login.output.response.body.body.access_token}" } } }
                """),
            Defs.Http("use", $"{_peer.BaseUrl}/echo", headers: new JsonObject { ["X-Token"] = $"${{workflow.secrets.{secret}}}", ["X-Marker"] = marker })),
            new JsonObject { ["issued"] = fresh });

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal(fresh, _peer.Received(marker)["headers"]!["x-token"]!.GetValue<string>());
        var stored = await _client.GetAsync($"/api/workflow/{run["workflowId"]}");
        Assert.DoesNotContain(fresh, stored.Text, StringComparison.Ordinal);
        Assert.Equal("***", stored.Object["tasks"]![1]!["inputData"]!["_secrets"]!["secretValue"]!.GetValue<string>());
        Assert.Equal(2, (await _client.GetAsync($"/api/secrets/{secret}/versions")).Array.Count);
    }

    [Fact]
    public async Task Update_secret_without_a_value_fails_with_a_terminal_error_naming_the_field()
    {
        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("noval"), Defs.Parse("""
            { "name": "store", "taskReferenceName": "store", "type": "UPDATE_SECRET",
              "inputParameters": { "_secrets": { "secretKey": "never-written", "secretValue": "${workflow.input.missing}" } } }
            """)));
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Equal("FAILED_WITH_TERMINAL_ERROR", run["tasks"]![0]!["status"]!.GetValue<string>());
        Assert.Contains("secretValue", run["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_values_are_resolved_when_a_task_is_scheduled_and_a_json_value_reads_by_field()
    {
        var plain = Defs.Unique("region").Replace('_', '-');
        var json = Defs.Unique("db").Replace('_', '-');
        (await _client.SendRawAsync(HttpMethod.Put, $"/api/environment/{plain}", "eu-west-1", "text/plain")).ShouldBe(HttpStatusCode.OK);
        (await _client.SendRawAsync(HttpMethod.Put, $"/api/environment/{json}", """{"host":"db.internal","port":5432}""", "text/plain")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("eu-west-1", (await _client.GetAsync($"/api/environment/{plain}")).Text);
        Assert.Contains((await _client.GetAsync("/api/environment")).Array, e => e!["name"]!.GetValue<string>() == json);

        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("env"), Defs.Inline("read", "$.r + ':' + $.h + ':' + $.p",
            new JsonObject { ["r"] = $"${{workflow.env.{plain}}}", ["h"] = $"${{workflow.env.{json}.host}}", ["p"] = $"${{workflow.env.{json}.port}}" })));
        Assert.Equal("eu-west-1:db.internal:5432", run["tasks"]![0]!["outputData"]!["result"]!.GetValue<string>());
        Assert.Equal("eu-west-1", run["tasks"]![0]!["inputData"]!["r"]!.GetValue<string>());

        var deleted = await _client.DeleteAsync($"/api/environment/{plain}");
        Assert.Equal("eu-west-1", deleted.Text);
        (await _client.GetAsync($"/api/environment/{plain}")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_script_over_a_secret_is_quarantined_shown_as_masked_and_still_usable_by_a_later_task()
    {
        var value = NewValue();
        var secret = await _client.NewSecretAsync(value);
        var marker = Guid.NewGuid().ToString("N");
        const string script = """
            (function(){
              var s = $.key;
              return { raw: s, upper: s.toUpperCase(), reversed: s.split('').reverse().join(''), sliced: s.slice(2, -2), joined: 'x-' + s + '-y' };
            })()
            """;
        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("quarantine"),
            Defs.Inline("calc", script, new JsonObject { ["key"] = $"${{workflow.secrets.{secret}}}" }),
            Defs.Http("send", $"{_peer.BaseUrl}/echo", "POST", body: new JsonObject { ["u"] = "${calc.output.result.upper}", ["r"] = "${calc.output.result.reversed}" },
                headers: new JsonObject { ["X-Marker"] = marker })));

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var received = _peer.Received(marker)["body"]!;
        var upper = value.ToUpperInvariant();
        var reversed = new string(value.Reverse().ToArray());
        Assert.Equal(upper, received["u"]!.GetValue<string>());
        Assert.Equal(reversed, received["r"]!.GetValue<string>());

        var stored = await _client.GetAsync($"/api/workflow/{run["workflowId"]}");
        var calc = stored.Object["tasks"]![0]!;
        Assert.Equal("***", calc["outputData"]!["result"]!["upper"]!.GetValue<string>());
        Assert.NotNull(calc["sealedOutput"]);
        foreach (var form in new[] { value, upper, reversed, value[2..^2] })
        {
            Assert.DoesNotContain(form, stored.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_child_run_given_a_scripts_output_over_a_secret_never_stores_what_the_script_made()
    {
        var value = NewValue();
        var reversed = new string([.. value.Reverse()]);
        var secret = await _client.NewSecretAsync(value);
        var child = Defs.Unique("derived_child");
        await _client.RegisterWorkflowAsync(Defs.Workflow(child, Defs.Inline("noop", "1")));
        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("derived_parent"),
            Defs.Inline("calc", "(function(){ return { reversed: $.key.split('').reverse().join('') }; })()", new JsonObject { ["key"] = $"${{workflow.secrets.{secret}}}" }),
            new JsonObject
            {
                ["name"] = "child",
                ["taskReferenceName"] = "child",
                ["type"] = "SUB_WORKFLOW",
                ["subWorkflowParam"] = new JsonObject { ["name"] = child, ["version"] = 1 },
                ["inputParameters"] = new JsonObject { ["given"] = "${calc.output.result.reversed}" },
            }));

        var childId = run["tasks"]![1]!["subWorkflowId"]!.GetValue<string>();
        var childRun = await _client.GetAsync($"/api/workflow/{childId}");
        childRun.ShouldBe(System.Net.HttpStatusCode.OK);
        foreach (var text in new[] { run.ToJsonString(), childRun.Text })
        {
            Assert.DoesNotContain(value, text, StringComparison.Ordinal);
            Assert.DoesNotContain(reversed, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_malformed_json_environment_value_is_a_400_not_a_500()
    {
        var reply = await _client.SendRawAsync(HttpMethod.Put, $"/api/environment/{Defs.Unique("broken").Replace('_', '-')}", "\"unterminated", "application/json");
        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("invalid JSON", reply.Text, StringComparison.Ordinal);
    }
}
