using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>Secrets are resolved only at hand-off, only where the definition wrote them, and never stored.</summary>
[Collection(SharedServer.Name)]
public sealed class SecretHandOffTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;
    private readonly EchoPeer _peer = fixture.Peer;

    private static string NewValue() => "tok-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());




    [Fact]
    public async Task An_http_header_gets_the_value_the_stored_input_keeps_the_reference_and_the_echo_is_masked()
    {
        var value = NewValue();
        var secret = await _client.NewSecretAsync(value);
        var marker = Guid.NewGuid().ToString("N");
        var name = Defs.Unique("hdr");
        var run = await _client.ExecuteAsync(Defs.Workflow(name, Defs.Http("call", $"{_peer.BaseUrl}/echo/${{workflow.secrets.{secret}}}", "POST",
            body: new JsonObject { ["token"] = $"${{workflow.secrets.{secret}}}" },
            headers: new JsonObject { ["Authorization"] = $"Bearer ${{workflow.secrets.{secret}}}", ["X-Marker"] = marker })));

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var received = _peer.Received(marker);
        Assert.Equal($"Bearer {value}", received["headers"]!["authorization"]!.GetValue<string>());
        Assert.Equal($"/echo/{value}", received["path"]!.GetValue<string>());
        Assert.Equal(value, received["body"]!["token"]!.GetValue<string>());

        var stored = await _client.GetAsync($"/api/workflow/{run["workflowId"]}");
        Assert.DoesNotContain(value, stored.Text, StringComparison.Ordinal);
        var input = stored.Object["tasks"]![0]!["inputData"]!["http_request"]!;
        Assert.Equal($"Bearer ${{workflow.secrets.{secret}}}", input["headers"]!["Authorization"]!.GetValue<string>());
        Assert.Equal("Bearer ***", stored.Object["tasks"]![0]!["outputData"]!["response"]!["body"]!["headers"]!["authorization"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_json_secret_field_is_read_by_a_dotted_reference()
    {
        var password = NewValue();
        var secret = await _client.NewSecretAsync($$"""{"username":"service-account","password":"{{password}}"}""");
        var marker = Guid.NewGuid().ToString("N");
        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("jsonsec"), Defs.Http("call", $"{_peer.BaseUrl}/echo", "POST",
            body: new JsonObject { ["user"] = $"${{workflow.secrets.{secret}.username}}", ["pass"] = $"${{workflow.secrets.{secret}.password}}" },
            headers: new JsonObject { ["X-Marker"] = marker })));
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal(password, _peer.Received(marker)["body"]!["pass"]!.GetValue<string>());
        Assert.Equal("service-account", _peer.Received(marker)["body"]!["user"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_json_secret_sent_as_a_string_as_the_orkes_sdks_do_is_addressable_by_field_and_kept_as_written()
    {
        var password = NewValue();
        var text = $$"""{"db": {"user": "svc", "password": "{{password}}"}, "hosts": ["primary-host-1", "replica-host-2"]}""";
        var secret = "json-as-text-" + Guid.NewGuid().ToString("N")[..8];
        // The body is a JSON string whose text is a JSON object: what the Orkes SDKs and console send.
        (await _client.SendRawAsync(HttpMethod.Put, $"/api/secrets/{secret}", System.Text.Json.JsonSerializer.Serialize(text))).ShouldBe(HttpStatusCode.OK);
        var marker = Guid.NewGuid().ToString("N");
        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("jsontext"), Defs.Http("call", $"{_peer.BaseUrl}/echo", "POST",
            body: new JsonObject { ["pass"] = $"${{workflow.secrets.{secret}.db.password}}", ["replica"] = $"${{workflow.secrets.{secret}.hosts.1}}" },
            headers: new JsonObject { ["X-Marker"] = marker })));
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal(password, _peer.Received(marker)["body"]!["pass"]!.GetValue<string>());
        Assert.Equal("replica-host-2", _peer.Received(marker)["body"]!["replica"]!.GetValue<string>());
        Assert.Equal(text, (await _client.GetAsync($"/api/secrets/{secret}")).Text);

        var plain = await _client.NewSecretAsync("just-a-plain-string-value");
        var refused = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("plainfield"), Defs.Http("call", $"{_peer.BaseUrl}/echo",
            headers: new JsonObject { ["X-Pass"] = $"${{workflow.secrets.{plain}.password}}" })));
        Assert.Contains($"secret '{plain}' is a string that is not a JSON object or array, so it has no field 'password'",
            refused["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_secret_fails_the_task_naming_it_and_nothing_is_sent()
    {
        var marker = Guid.NewGuid().ToString("N");
        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("missing"), Defs.Http("call", $"{_peer.BaseUrl}/echo", headers: new JsonObject
        {
            ["Authorization"] = "Bearer ${workflow.secrets.no-such-secret}",
            ["X-Marker"] = marker,
        })));
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Contains("secret 'no-such-secret' does not exist", run["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(_peer.Requests, r => r["headers"]!["x-marker"]?.GetValue<string>() == marker);
    }

    [Fact]
    public async Task A_missing_field_of_a_json_secret_fails_naming_the_secret_and_the_field()
    {
        var secret = await _client.NewSecretAsync("""{"username":"service-account"}""");
        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("nofield"), Defs.Http("call", $"{_peer.BaseUrl}/echo",
            headers: new JsonObject { ["X-Pass"] = $"${{workflow.secrets.{secret}.password}}" })));
        Assert.Contains($"secret '{secret}' has no field 'password'", run["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_cannot_turn_itself_into_a_secret_reference()
    {
        var value = NewValue();
        var secret = await _client.NewSecretAsync(value);
        var marker = Guid.NewGuid().ToString("N");
        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("inject"), Defs.Http("call", $"{_peer.BaseUrl}/echo", "POST",
            body: new JsonObject { ["echo"] = "${workflow.input.text}" }, headers: new JsonObject { ["X-Marker"] = marker })),
            new JsonObject { ["text"] = $"${{workflow.secrets.{secret}}}" });
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal($"${{workflow.secrets.{secret}}}", _peer.Received(marker)["body"]!["echo"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_worker_gets_the_value_in_its_poll_answer_only_and_what_it_echoes_is_masked()
    {
        var value = NewValue();
        var secret = await _client.NewSecretAsync(value);
        var type = Defs.Unique("secret_worker");
        await _client.RegisterWorkflowAsync(Defs.Workflow(Defs.Unique("worker"), Defs.Simple(type, "work", new JsonObject { ["key"] = $"${{workflow.secrets.{secret}}}" })));
        var name = (await _client.GetAsync("/api/metadata/workflow")).Array.Last(d => d!["tasks"]![0]!["name"]!.GetValue<string>() == type)!["name"]!.GetValue<string>();
        var id = await _client.StartAsync(name);

        var task = await _client.PollTaskAsync(type);
        Assert.Equal(value, task["inputData"]!["key"]!.GetValue<string>());
        await _client.CompleteTaskAsync(task, new JsonObject { ["echo"] = value, ["note"] = $"used {value} ok" });
        (await _client.SendRawAsync(HttpMethod.Post, $"/api/tasks/{task["taskId"]}/log", $"\"worker saw {value}\"")).ShouldBe(HttpStatusCode.OK);

        var run = await _client.WaitForStatusAsync(id, "COMPLETED");
        Assert.DoesNotContain(value, run.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("***", run["tasks"]![0]!["outputData"]!["echo"]!.GetValue<string>());
        Assert.Equal("used *** ok", run["tasks"]![0]!["outputData"]!["note"]!.GetValue<string>());
        Assert.Equal($"${{workflow.secrets.{secret}}}", run["tasks"]![0]!["inputData"]!["key"]!.GetValue<string>());
        var logs = await _client.GetAsync($"/api/tasks/{task["taskId"]}/log");
        Assert.Contains("worker saw ***", logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(value, logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_manifest_records_secret_version_fingerprint_and_tasks_and_the_audit_the_resolution()
    {
        var value = NewValue();
        var secret = await _client.NewSecretAsync(value);
        var run = await _client.ExecuteAsync(Defs.Workflow(Defs.Unique("manifest"),
            Defs.Http("one", $"{_peer.BaseUrl}/echo", headers: new JsonObject { ["X-Key"] = $"${{workflow.secrets.{secret}}}" }),
            Defs.Http("two", $"{_peer.BaseUrl}/echo", headers: new JsonObject { ["X-Key"] = $"${{workflow.secrets.{secret}}}" })));
        var id = run["workflowId"]!.GetValue<string>();
        var manifest = (await _client.GetAsync($"/api/workflow/{id}/secrets")).Array;
        var entry = Assert.Single(manifest)!;
        Assert.Equal(secret, entry["secret"]!.GetValue<string>());
        Assert.Equal(1, entry["version"]!.GetValue<int>());
        Assert.StartsWith("hmac:", entry["fingerprint"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["one", "two"], entry["taskReferenceNames"]!.AsArray().Select(r => r!.GetValue<string>()));
        var audit = (await _client.GetAsync($"/api/audit?workflowId={id}&action=resolve")).Array;
        Assert.Equal(2, audit.Count);
        Assert.All(audit, e => Assert.Equal(entry["fingerprint"]!.GetValue<string>(), e!["fingerprint"]!.GetValue<string>()));
        Assert.DoesNotContain(value, manifest.ToJsonString() + audit.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retried_task_uses_the_version_its_run_first_used()
    {
        var first = NewValue();
        var secret = await _client.NewSecretAsync(first);
        var type = Defs.Unique("retry_worker");
        (await _client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = type, ["retryCount"] = 1, ["retryDelaySeconds"] = 0 }))).ShouldBe(HttpStatusCode.OK);
        var name = Defs.Unique("pin");
        await _client.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(type, "work", new JsonObject { ["key"] = $"${{workflow.secrets.{secret}}}" })));
        var id = await _client.StartAsync(name);
        var attempt = await _client.PollTaskAsync(type);
        Assert.Equal(first, attempt["inputData"]!["key"]!.GetValue<string>());

        using var content = new StringContent(System.Text.Json.JsonSerializer.Serialize(NewValue()), Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, (await _client.Http.PutAsync(new Uri($"/api/secrets/{secret}", UriKind.Relative), content)).StatusCode);
        await _client.CompleteTaskAsync(attempt, status: "FAILED", reason: "try again");
        var retry = await _client.PollTaskAsync(type);
        Assert.Equal(first, retry["inputData"]!["key"]!.GetValue<string>());
        await _client.CompleteTaskAsync(retry);
        await _client.WaitForStatusAsync(id, "COMPLETED");
    }

    [Fact]
    public async Task A_definition_or_start_request_holding_a_secret_value_is_refused_naming_the_reference()
    {
        var value = NewValue();
        var secret = await _client.NewSecretAsync(value);
        var def = Defs.Workflow(Defs.Unique("literal"), Defs.Http("call", $"{_peer.BaseUrl}/echo", headers: new JsonObject { ["Authorization"] = $"Bearer {value}" }));
        var refused = await _client.PostAsync("/api/metadata/workflow", def);
        refused.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains($"${{workflow.secrets.{secret}}}", refused.Text, StringComparison.Ordinal);
        Assert.Contains("$.tasks[0].inputParameters.http_request.headers.Authorization", refused.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(value, refused.Text, StringComparison.Ordinal);

        var encoded = Defs.Workflow(Defs.Unique("literal64"), Defs.Inline("x", "1", new JsonObject { ["k"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) }));
        (await _client.PostAsync("/api/metadata/workflow", encoded)).ShouldBe(HttpStatusCode.BadRequest);

        var ok = Defs.Workflow(Defs.Unique("clean"), Defs.Inline("x", "1"));
        await _client.RegisterWorkflowAsync(ok);
        var start = await _client.PostAsync("/api/workflow", new JsonObject { ["name"] = ok["name"]!.GetValue<string>(), ["input"] = new JsonObject { ["pw"] = value } });
        start.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.input.pw", start.Text, StringComparison.Ordinal);
        var correlated = await _client.PostAsync("/api/workflow", new JsonObject { ["name"] = ok["name"]!.GetValue<string>(), ["correlationId"] = value });
        correlated.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.correlationId", correlated.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restarted_run_resolves_afresh_and_gets_the_new_version()
    {
        var first = NewValue();
        var secret = await _client.NewSecretAsync(first);
        var type = Defs.Unique("restart_worker");
        var name = Defs.Unique("afresh");
        await _client.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(type, "work", new JsonObject { ["key"] = $"${{workflow.secrets.{secret}}}" })));
        var id = await _client.StartAsync(name);
        var attempt = await _client.PollTaskAsync(type);
        Assert.Equal(first, attempt["inputData"]!["key"]!.GetValue<string>());
        await _client.CompleteTaskAsync(attempt);
        await _client.WaitForStatusAsync(id, "COMPLETED");

        var second = NewValue();
        using var content = new StringContent(System.Text.Json.JsonSerializer.Serialize(second), Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, (await _client.Http.PutAsync(new Uri($"/api/secrets/{secret}", UriKind.Relative), content)).StatusCode);
        (await _client.PostAsync($"/api/workflow/{id}/restart")).ShouldBe(HttpStatusCode.OK);
        var again = await _client.PollTaskAsync(type);
        Assert.Equal(second, again["inputData"]!["key"]!.GetValue<string>());
        Assert.Equal(2, Assert.Single((await _client.GetAsync($"/api/workflow/{id}/secrets")).Array)!["version"]!.GetValue<int>());
        Assert.Single((await _client.GetAsync($"/api/audit?workflowId={id}&action=manifest-reset")).Array);
    }

    [Fact]
    public async Task A_worker_id_holding_a_secret_is_masked_in_the_task_and_the_poll_data()
    {
        var value = NewValue();
        await _client.NewSecretAsync(value);
        var type = Defs.Unique("id_worker");
        var name = Defs.Unique("workerid");
        await _client.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(type, "work")));
        var id = await _client.StartAsync(name);
        var task = await _client.PollTaskAsync(type, workerId: value);
        await _client.CompleteTaskAsync(task);
        var run = await _client.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal("***", run["tasks"]![0]!["workerId"]!.GetValue<string>());
        var pollData = await _client.GetAsync($"/api/tasks/queue/polldata?taskType={type}");
        Assert.DoesNotContain(value, pollData.Text, StringComparison.Ordinal);
        Assert.Contains("***", pollData.Text, StringComparison.Ordinal);
    }
}
