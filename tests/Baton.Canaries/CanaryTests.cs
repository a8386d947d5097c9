using System.Text;
using System.Text.Json.Nodes;
using Baton.Canaries.Canaries;

namespace Baton.Canaries;

/// <summary>
/// The canary suite. One server, five secrets of varied shapes driven through every leak path (see
/// <see cref="CanaryRun"/>); then the positive controls (the peer and the worker got each real value) and the
/// scans (every byte of the data folder, the whole server output, every read API answer) for each canary in each
/// encoding. A hit is reported by where it is and which canary, form and encoding, never by the value.
/// </summary>
public sealed class CanaryTests(CanaryRun run) : IClassFixture<CanaryRun>
{
    private readonly LeakScanner _scanner = new(CanaryForms.All(run.Canaries));

    // ---- the runs ended as designed ----

    [Fact]
    public void Every_run_ended_as_designed()
    {
        var expected = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["worker"] = "COMPLETED",
            ["fail"] = "FAILED",
            ["terminate"] = "FAILED",
            ["api_terminate"] = "TERMINATED",
            ["missing"] = "FAILED",
            ["base64_check"] = "COMPLETED",
        };
        foreach (var canary in run.Canaries)
        {
            expected[$"http_{canary.Shape}"] = "COMPLETED";
            expected[$"inline_{canary.Shape}"] = "COMPLETED";
            expected[$"node_{canary.Shape}"] = "COMPLETED";
        }
        var wrong = expected
            .Where(e => run.Finished[e.Key]["status"]!.GetValue<string>() != e.Value)
            .Select(e => $"{e.Key}: {run.Finished[e.Key]["status"]} (expected {e.Value}), reason: {_scanner.Mask(run.Finished[e.Key]["reasonForIncompletion"]?.ToString() ?? "")}")
            .ToList();
        Assert.True(wrong.Count == 0, "Runs that did not end as designed:\n" + string.Join('\n', wrong));
    }

    // ---- positive controls: the real values went where they were meant to go ----

    [Fact]
    public void The_vault_reads_back_each_exact_value()
    {
        foreach (var canary in run.Canaries)
        {
            var back = run.ReadBack[canary.Shape];
            var same = canary.Json is null ? back == canary.Value : JsonNode.DeepEquals(JsonNode.Parse(back), canary.Json);
            Assert.True(same, $"GET /api/secrets/{canary.Name} did not give back the {canary.Shape} canary's exact value");
        }
    }

    [Fact]
    public void The_peer_received_each_real_value_in_header_path_query_and_body()
    {
        var requests = run.Peer.Requests.ToList();
        var problems = new List<string>();
        foreach (var canary in run.Canaries)
        {
            var mine = requests.Where(r => r["headers"]?[CanaryRun.ShapeHeader.ToLowerInvariant()]?.GetValue<string>() == canary.Shape).ToList();
            var byRoute = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal)
            {
                ["/echo"] = [.. mine.Where(r => r["path"]!.GetValue<string>().StartsWith("/echo/p/", StringComparison.Ordinal))],
                ["/status/500"] = [.. mine.Where(r => r["path"]!.GetValue<string>() == "/status/500")],
                ["/status/404"] = [.. mine.Where(r => r["path"]!.GetValue<string>() == "/status/404")],
            };
            if (byRoute["/status/500"].Count != 2) problems.Add($"{canary.Shape}: /status/500 was called {byRoute["/status/500"].Count} times, expected 2 (one retry)");
            foreach (var (route, list) in byRoute)
            {
                if (list.Count == 0)
                {
                    problems.Add($"{canary.Shape}: the peer got no request on {route}");
                    continue;
                }
                foreach (var request in list)
                {
                    if (canary.HeaderSafe && request["headers"]?[CanaryRun.HeaderName.ToLowerInvariant()]?.GetValue<string>() != canary.ScalarValue)
                        problems.Add($"{canary.Shape}: {route} header {CanaryRun.HeaderName} was not the real value");
                    if (canary.UrlSafe && !Uri.UnescapeDataString(request["query"]!.GetValue<string>()).Contains(canary.ScalarValue, StringComparison.Ordinal))
                        problems.Add($"{canary.Shape}: {route} query did not carry the real value");
                    if (route == "/echo" && canary.UrlSafe && !Uri.UnescapeDataString(request["path"]!.GetValue<string>()).Contains(canary.ScalarValue, StringComparison.Ordinal))
                        problems.Add($"{canary.Shape}: {route} path did not carry the real value");
                    var body = request["body"];
                    var secret = body?["secret"];
                    var sameSecret = canary.Json is null
                        ? secret is JsonValue v && v.GetValue<string>() == canary.Value
                        : JsonNode.DeepEquals(secret, canary.Json);
                    if (!sameSecret) problems.Add($"{canary.Shape}: {route} body.secret was not the real value");
                    if (body?["text"]?.GetValue<string>() != $"before {canary.ScalarValue} after")
                        problems.Add($"{canary.Shape}: {route} body.text did not embed the real value");
                }
            }
        }
        Assert.True(problems.Count == 0, "Positive control failed:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void The_peer_received_each_real_value_from_a_node_template_in_header_url_and_body()
    {
        var problems = new List<string>();
        foreach (var canary in run.Canaries)
        {
            var request = run.Peer.Requests.LastOrDefault(r => r["path"]!.GetValue<string>().StartsWith("/echo/node/", StringComparison.Ordinal)
                && r["headers"]?[CanaryRun.ShapeHeader.ToLowerInvariant()]?.GetValue<string>() == canary.Shape);
            if (request is null)
            {
                problems.Add($"{canary.Shape}: the peer got no request from the node workflow");
                continue;
            }
            if (canary.HeaderSafe && request["headers"]?[CanaryRun.HeaderName.ToLowerInvariant()]?.GetValue<string>() != canary.ScalarValue)
                problems.Add($"{canary.Shape}: the node's header {CanaryRun.HeaderName} was not the real value");
            if (canary.UrlSafe && !Uri.UnescapeDataString(request["path"]!.GetValue<string>()).Contains(canary.ScalarValue, StringComparison.Ordinal))
                problems.Add($"{canary.Shape}: the node's URL path did not carry the real value");
            var body = request["body"];
            if (body?["secret"]?.GetValue<string>() != canary.ScalarValue) problems.Add($"{canary.Shape}: the node's body.secret was not the real value");
            if (body?["b64"]?.GetValue<string>() != Convert.ToBase64String(Encoding.UTF8.GetBytes(canary.ScalarValue))) problems.Add($"{canary.Shape}: the node's body.b64 was not the value's base64");
            if (body?["text"]?.GetValue<string>() != $"before {canary.ScalarValue} after") problems.Add($"{canary.Shape}: the node's body.text did not embed the real value");
        }
        Assert.True(problems.Count == 0, "Positive control failed:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void The_worker_received_each_real_value_in_its_polled_input()
    {
        var problems = new List<string>();
        JsonObject? Input(string key)
        {
            var (raw, input) = run.WorkerInputs[key];
            if (input is null)
            {
                problems.Add($"poll answer {key} is not valid JSON ({raw.Length} chars, {Occurrences(raw, "***")} '***' in it): {_scanner.Snippet(raw)}");
            }
            return input;
        }
        string? Text(JsonObject? input, string field) => input?[field] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;

        var work = Input($"{run.WorkerType}/0");
        if (work is not null)
        {
            foreach (var canary in run.Canaries)
            {
                var got = work[canary.Shape];
                var same = canary.Json is null ? Text(work, canary.Shape) == canary.Value : JsonNode.DeepEquals(got, canary.Json);
                if (!same) problems.Add($"worker input '{canary.Shape}' was not the {canary.Shape} canary's real value: {_scanner.Mask(got?.ToJsonString() ?? "null")}");
            }
            if (Text(work, "bearer") != "Bearer " + run.Shape("random").Value) problems.Add("worker input 'bearer' did not embed the random canary");
            if (Text(work, "jsonLeaf") != run.Shape("json").ScalarValue) problems.Add("worker input 'jsonLeaf' was not the JSON canary's password leaf");
        }
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var retry = Input($"{run.RetryType}/{attempt}");
            if (retry is not null && (Text(retry, "v") != run.Shape("random").Value || Text(retry, "s") != run.Shape("special").Value
                || Text(retry, "n") != run.Shape("nonascii").Value || Text(retry, "p") != run.Shape("pem").Value))
            {
                problems.Add($"retry attempt {attempt} did not receive the real values: {_scanner.Mask(retry.ToJsonString())}");
            }
        }
        var fail = Input($"{run.FailType}/0");
        if (fail is not null && (Text(fail, "v") != run.Shape("random").Value || Text(fail, "j") != run.Shape("json").ScalarValue))
            problems.Add($"the failing task (batch poll) did not receive the real values: {_scanner.Mask(fail.ToJsonString())}");
        Assert.True(problems.Count == 0, "Positive control failed:\n" + string.Join('\n', problems));
    }

    private static int Occurrences(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    [Fact]
    public void Inline_scripts_saw_the_real_value_and_derive_the_forms_the_scan_looks_for()
    {
        foreach (var canary in run.Canaries)
        {
            var report = run.Peer.Requests.LastOrDefault(r => r["path"]?.GetValue<string>() == "/echo/inline-report"
                && r["query"]?.GetValue<string>() == $"?shape={canary.Shape}");
            var length = report?["body"]?["length"];
            Assert.True(length is JsonValue l && l.GetValue<double>() == canary.ScalarValue.Length,
                $"INLINE 'length' for the {canary.Shape} canary reached the peer as {length?.ToJsonString() ?? "nothing"}, expected the real value's length {canary.ScalarValue.Length}");
            Assert.Equal("***", TaskOf(run.Finished[$"inline_{canary.Shape}"], "length")["outputData"]?["result"]?.GetValue<string>());
        }
        // The scripts, run on a non-secret input, give exactly what the scan computes with the framework.
        var check = run.Finished["base64_check"];
        var input = run.Base64CheckInput;
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(input)), Result(check, "base64"));
        Assert.Equal(input.ToUpperInvariant(), Result(check, "upper"));
        Assert.Equal(CanaryForms.Reversed(input), Result(check, "reversed"));
        Assert.Equal(CanaryForms.Sliced(input), Result(check, "sliced"));
    }

    [Fact]
    public async Task Every_sink_the_scan_reads_was_written_to()
    {
        // The scans prove nothing about a sink that was never written: check each one holds its (masked) text.
        var worker = run.Finished["worker"];
        var work = TaskOf(worker, "work");
        var logs = (await run.Client.GetAsync($"/api/tasks/{work["taskId"]}/log")).Array;
        Assert.True(logs.Count >= 3 * run.Canaries.Count, $"the worker task kept {logs.Count} log lines, expected {3 * run.Canaries.Count}");
        Assert.Contains(logs, l => l?["log"]?.GetValue<string>().StartsWith("result log ", StringComparison.Ordinal) == true);
        Assert.Contains(logs, l => l?["log"]?.GetValue<string>().StartsWith("plain log ", StringComparison.Ordinal) == true);
        Assert.Contains(logs, l => l?["log"]?.GetValue<string>().StartsWith("working with ", StringComparison.Ordinal) == true);
        Assert.All(run.Canaries, c => Assert.NotNull(work["outputData"]?[c.Shape]));

        var attempts = Tasks(worker, "retry").ToList();
        Assert.Contains("attempt 0 failed for ", attempts[0]["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("attempt 1 failed for ", attempts[1]["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("cannot log in with ", run.Finished["fail"]["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("stopped with ", run.Finished["terminate"]["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("operator stop: ", run.Finished["api_terminate"]["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);

        foreach (var canary in run.Canaries)
        {
            var http = run.Finished[$"http_{canary.Shape}"];
            Assert.Equal(2, Tasks(http, "err500").Count());
            Assert.NotNull(TaskOf(http, "echo")["outputData"]?["response"]?["body"]?["headers"]);
            Assert.NotNull(TaskOf(http, "err404")["outputData"]?["response"]?["body"]?["body"]);
            var inline = run.Finished[$"inline_{canary.Shape}"];
            Assert.NotNull(inline["variables"]?["stash"]);
            Assert.NotNull(inline["output"]?["secret"]);
            // The node's output (its variables, from the peer's echo), its links and its verbose log lines.
            var send = TaskOf(run.Finished[$"node_{canary.Shape}"], "send");
            Assert.NotNull(send["outputData"]?["echoed"]?["secret"]);
            Assert.Single(send["links"]!.AsArray());
            var lines = (await run.Client.GetAsync($"/v1/workflows/nodes/runs/{send["taskId"]}/logs")).Object["logs"]!.AsArray();
            Assert.Contains(lines, l => l!["message"]!.GetValue<string>().StartsWith("request POST ", StringComparison.Ordinal));
            Assert.Contains(lines, l => l!["message"]!.GetValue<string>().StartsWith("response 200 ", StringComparison.Ordinal));
        }
    }

    // ---- references stay as written; a missing secret is named ----

    [Fact]
    public void Stored_inputs_keep_the_references_as_written()
    {
        foreach (var canary in run.Canaries)
        {
            var echo = TaskOf(run.Finished[$"http_{canary.Shape}"], "echo")["inputData"]!["http_request"]!;
            if (canary.HeaderSafe) Assert.Equal(canary.ScalarReference, echo["headers"]![CanaryRun.HeaderName]!.GetValue<string>());
            if (canary.UrlSafe) Assert.Contains(canary.ScalarReference, echo["uri"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(canary.Reference, echo["body"]!["secret"]!.GetValue<string>());
            Assert.Equal($"before {canary.ScalarReference} after", echo["body"]!["text"]!.GetValue<string>());

            var inline = run.Finished[$"inline_{canary.Shape}"];
            foreach (var (reference, _) in Scripts.Transformations)
            {
                Assert.Equal(canary.ScalarReference, TaskOf(inline, reference)["inputData"]!["v"]!.GetValue<string>());
            }
            Assert.Equal(canary.Reference, TaskOf(inline, "stash")["inputData"]!["stash"]!.GetValue<string>());

            Assert.Equal(canary.Reference, TaskOf(run.Finished["worker"], "work")["inputData"]![canary.Shape]!.GetValue<string>());
        }
        var retries = Tasks(run.Finished["worker"], "retry").ToList();
        Assert.Equal(3, retries.Count);
        Assert.All(retries, r => Assert.Equal(run.Shape("random").Reference, r["inputData"]!["v"]!.GetValue<string>()));
        var stop = TaskOf(run.Finished["terminate"], "stop")["inputData"]!;
        Assert.Contains(run.Shape("random").Reference, stop["terminationReason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_secret_fails_the_run_with_a_reason_naming_it()
    {
        var missing = run.Finished["missing"];
        Assert.Equal("FAILED", missing["status"]!.GetValue<string>());
        Assert.Contains(run.MissingSecret, missing["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(run.MissingSecret, TaskOf(missing, "missing")["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(run.Peer.Requests, r => r["path"]!.GetValue<string>() == "/echo/missing");
    }

    // ---- the scans ----

    [Fact]
    public void No_file_in_the_data_folder_holds_a_canary()
    {
        var files = Directory.EnumerateFiles(run.Server.DataDir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "master.key")
            .ToList();
        Assert.Contains(files, f => Path.GetFileName(f) == "baton.db");
        var hits = new List<Hit>();
        foreach (var file in files)
        {
            hits.AddRange(_scanner.ScanBytes(Path.GetRelativePath(run.Server.DataDir, file), ReadShared(file)));
        }
        AssertNoHits(hits, $"the data folder ({string.Join(", ", files.Select(f => $"{Path.GetRelativePath(run.Server.DataDir, f)} {new FileInfo(f).Length} B"))})");
    }

    [Fact]
    public void The_master_key_file_holds_no_canary()
    {
        var file = Directory.EnumerateFiles(run.Server.DataDir, "master.key", SearchOption.AllDirectories).Single();
        AssertNoHits(_scanner.ScanBytes("master.key", ReadShared(file)), "master.key");
    }

    [Fact]
    public void The_server_output_holds_no_canary()
    {
        var output = run.Server.Output;
        Assert.Contains("Request starting", output, StringComparison.Ordinal);
        AssertNoHits(_scanner.ScanText("server output", output), $"the server output ({output.Split('\n').Length} lines)");
    }

    [Fact]
    public async Task No_read_api_answer_holds_a_canary()
    {
        await SweepReadApiAsync();
        var hits = new List<Hit>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var scanned = 0;
        foreach (var exchange in run.Client.Exchanges.ToList())
        {
            // A worker's poll answer is the hand-off itself: the one place the value is meant to go.
            if (exchange.Path.StartsWith("/api/tasks/poll/", StringComparison.Ordinal)) continue;
            if (!seen.Add(exchange.Path + "\n" + exchange.Reply.Text)) continue;
            scanned++;
            hits.AddRange(_scanner.ScanAnswer($"{exchange.Method} {exchange.Path.Split('?')[0]}", exchange.Reply.Text));
        }
        AssertNoHits(hits, $"the API answers ({scanned} distinct answers)");
    }

    /// <summary>Reads every read route once, so the recorded answers cover the whole read API.</summary>
    private async Task SweepReadApiAsync()
    {
        var client = run.Client;
        var routes = new List<string>
        {
            "/api/secrets", "/api/secrets-v2", "/api/audit?limit=1000", "/api/environment", "/api/admin/keys",
            "/api/metadata/workflow", "/api/metadata/taskdefs", "/api/tasks/queue/all", "/health/live", "/health/ready",
            "/api/workflow/search?size=1000", "/api/workflow/search-v2?size=1000", "/api/workflow/search?size=1000&freeText=*",
            $"/api/workflow/search?size=1000&query={Uri.EscapeDataString($"correlationId = corr_{run.Run}")}",
            "/openapi/v1.json", "/v1/workflows", "/v1/workflows/runs?limit=1000", "/v1/organization/secrets",
        };
        foreach (var canary in run.Canaries)
        {
            routes.AddRange([
                $"/api/secrets/{canary.Name}/exists", $"/api/secrets/{canary.Name}/tags", $"/api/secrets/{canary.Name}/versions",
                $"/api/secrets/{canary.Name}/metadata", $"/api/secrets/{canary.Name}/usage", $"/api/audit?secret={canary.Name}&limit=1000",
            ]);
        }
        foreach (var type in new[] { run.WorkerType, run.RetryType, run.FailType, run.WaitType, run.HttpRetryDef })
        {
            routes.AddRange([$"/api/metadata/taskdefs/{type}", $"/api/tasks/queue/polldata?taskType={type}", $"/api/tasks/queue/sizes?taskType={type}"]);
        }
        foreach (var (key, id) in run.Runs)
        {
            var name = run.Finished[key]["workflowName"]!.GetValue<string>();
            routes.AddRange([
                $"/api/workflow/{id}", $"/api/workflow/{id}?includeTasks=false", $"/api/workflow/{id}/status?includeOutput=true&includeVariables=true",
                $"/api/workflow/{id}/secrets", $"/api/audit?workflowId={id}&limit=1000", $"/api/metadata/workflow/{name}",
                $"/api/workflow/running/{name}", $"/api/workflow/{name}/correlated/corr_{run.Run}?includeClosed=true&includeTasks=true",
            ]);
            var node = key.StartsWith("node_", StringComparison.Ordinal);
            if (node) routes.AddRange([$"/v1/workflows/runs/{id}", $"/v1/workflows/{name}"]);
            foreach (var task in run.Finished[key]["tasks"]!.AsArray())
            {
                var taskId = task!["taskId"]!.GetValue<string>();
                routes.AddRange([$"/api/tasks/{taskId}", $"/api/tasks/{taskId}/log"]);
                if (node) routes.Add($"/v1/workflows/nodes/runs/{taskId}/logs");
            }
        }
        foreach (var route in routes.Distinct())
        {
            var reply = await client.GetAsync(route);
            Assert.True((int)reply.Status < 400, $"GET {route} answered {(int)reply.Status}: {_scanner.Mask(reply.Text)}");
        }
        // The secrets list also answers POST (Orkes' SDKs use it), and a synchronous execute answers a whole run.
        await client.PostAsync("/api/secrets/");
        await client.PostAsync($"/api/workflow/execute/canary_inline_random_{run.Run}/1", new JsonObject { ["input"] = new JsonObject() });
    }

    // ---- helpers ----

    private void AssertNoHits(IEnumerable<Hit> hits, string what)
    {
        var list = hits.ToList();
        if (list.Count == 0) return;
        var report = new StringBuilder();
        report.AppendLine($"{list.Count} canary hit(s) in {what}:");
        foreach (var group in list.GroupBy(h => h.Pattern.Label).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            report.AppendLine($"- {group.Key}:");
            foreach (var hit in group.Take(6)) report.AppendLine($"    at {hit.Where}");
            if (group.Count() > 6) report.AppendLine($"    … and {group.Count() - 6} more");
        }
        Assert.Fail(_scanner.Mask(report.ToString()));
    }

    private static byte[] ReadShared(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static IEnumerable<JsonObject> Tasks(JsonObject workflow, string reference) =>
        workflow["tasks"]!.AsArray().Select(t => t!.AsObject()).Where(t => t["referenceTaskName"]?.GetValue<string>() == reference);

    private static JsonObject TaskOf(JsonObject workflow, string reference) =>
        Tasks(workflow, reference).LastOrDefault() ?? throw new InvalidOperationException($"no task '{reference}' in {workflow["workflowName"]}");

    private static string? Result(JsonObject workflow, string reference) => TaskOf(workflow, reference)["outputData"]?["result"]?.GetValue<string>();
}
