using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Canaries.Canaries;
using Baton.Testing;

namespace Baton.Canaries;

/// <summary>
/// Starts one server on a fresh data folder and one echo peer, registers the five canaries, and drives them through
/// every leak path once: HTTP (header echoed back, URL path and query, body, 500 and 404 echoing the request),
/// INLINE (raw, base64, sliced, upper-cased, reversed, concatenated, URI-encoded), SET_VARIABLE, output
/// parameters, a worker (input, output, result logs, task log endpoint), retries, a failing task, TERMINATE and
/// terminate by API. The tests then read what was left behind.
/// </summary>
public sealed class CanaryRun : IAsyncLifetime
{
    public const string HeaderName = "X-Canary";
    public const string ShapeHeader = "X-Canary-Shape";

    public ServerProcess Server { get; private set; } = null!;
    public EchoPeer Peer { get; private set; } = null!;
    public BatonClient Client { get; private set; } = null!;
    public CanaryRun()
    {
        Run = Canary.Random(8).ToLowerInvariant();
        Canaries = Canary.CreateSet(Run);
    }

    public string Run { get; }
    public IReadOnlyList<Canary> Canaries { get; }

    /// <summary>Run ids by what the run exercises (http_random, inline_pem, worker, fail, ...).</summary>
    public ConcurrentDictionary<string, string> Runs { get; } = new(StringComparer.Ordinal);

    /// <summary>The final state of each run, by the same keys.</summary>
    public ConcurrentDictionary<string, JsonObject> Finished { get; } = new(StringComparer.Ordinal);

    /// <summary>Every poll answer the test worker got (its positive control), by "task type / attempt": the raw text, and its input when the text is JSON.</summary>
    public ConcurrentDictionary<string, (string Raw, JsonObject? Input)> WorkerInputs { get; } = new(StringComparer.Ordinal);

    /// <summary>What GET /api/secrets/{key} answered for each canary: the vault kept the exact value.</summary>
    public ConcurrentDictionary<string, string> ReadBack { get; } = new(StringComparer.Ordinal);

    public string MissingSecret => $"canary_missing_{Run}";
    public string WorkerType => $"canary_worker_{Run}";
    public string RetryType => $"canary_retry_{Run}";
    public string FailType => $"canary_fail_{Run}";
    public string WaitType => $"canary_wait_{Run}";
    public string HttpRetryDef => $"canary_http_err_{Run}";
    public string Base64CheckInput { get; } = "base64 check: pässwörd-ü€-秘密 " + Canary.Random(5);

    public Canary Shape(string shape) => Canaries.Single(c => c.Shape == shape);

    public async Task InitializeAsync()
    {
        Peer = await EchoPeer.StartAsync();
        // Debug logging, with ASP.NET Core's request lines: a wider log surface for the scan.
        Server = await ServerProcess.StartAsync("--Logging:LogLevel:Default=Debug", "--Logging:LogLevel:Microsoft.AspNetCore=Information");
        Client = new BatonClient(Server);

        await RegisterSecretsAsync();
        await RegisterDefinitionsAsync();

        foreach (var canary in Canaries)
        {
            Runs[$"http_{canary.Shape}"] = await Client.StartAsync($"canary_http_{canary.Shape}_{Run}", correlationId: $"corr_{Run}");
            Runs[$"inline_{canary.Shape}"] = await Client.StartAsync($"canary_inline_{canary.Shape}_{Run}", correlationId: $"corr_{Run}");
        }
        Runs["worker"] = await Client.StartAsync($"canary_worker_{Run}", correlationId: $"corr_{Run}");
        Runs["fail"] = await Client.StartAsync($"canary_fail_{Run}", correlationId: $"corr_{Run}");
        Runs["terminate"] = await Client.StartAsync($"canary_terminate_{Run}", correlationId: $"corr_{Run}");
        Runs["api_terminate"] = await Client.StartAsync($"canary_api_terminate_{Run}", correlationId: $"corr_{Run}");
        Runs["missing"] = await Client.StartAsync($"canary_missing_{Run}", correlationId: $"corr_{Run}");
        Runs["base64_check"] = await Client.StartAsync($"canary_base64_check_{Run}", new JsonObject { ["v"] = Base64CheckInput });
        foreach (var canary in Canaries)
        {
            // Port's node format on the same engine: a verbose WEBHOOK whose header, URL and body are node templates.
            var started = await Client.PostAsync($"/v1/workflows/canary_node_{canary.Shape}_{Run}/runs", new JsonObject { ["inputs"] = new JsonObject() });
            started.ShouldBe(HttpStatusCode.Created);
            Runs[$"node_{canary.Shape}"] = started.Object["run"]!["identifier"]!.GetValue<string>();
        }

        await WorkAsync();
        await TerminateByApiAsync();

        foreach (var (key, id) in Runs)
        {
            Finished[key] = await Client.WaitForStatusAsync(id, "COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT");
        }
    }

    private async Task RegisterSecretsAsync()
    {
        foreach (var canary in Canaries)
        {
            // Every body shape the API accepts: a JSON string, raw text/plain, a JSON object.
            var reply = canary.Shape switch
            {
                "json" => await Client.SendRawAsync(HttpMethod.Put, $"/api/secrets/{canary.Name}", canary.Value),
                "special" or "nonascii" => await Client.SendRawAsync(HttpMethod.Put, $"/api/secrets/{canary.Name}", canary.Value, "text/plain"),
                _ => await Client.SendRawAsync(HttpMethod.Put, $"/api/secrets/{canary.Name}", JsonValue.Create(canary.Value).ToJsonString()),
            };
            reply.ShouldBe(HttpStatusCode.OK);
            (await Client.SendRawAsync(HttpMethod.Put, $"/api/secrets/{canary.Name}/tags", $$"""[{"key":"suite","value":"canary"},{"key":"shape","value":"{{canary.Shape}}"}]""")).ShouldBe(HttpStatusCode.OK);

            // The one deliberate read-back, outside the recorded answers the scan reads.
            using var response = await Client.Http.GetAsync(new Uri($"/api/secrets/{canary.Name}", UriKind.Relative));
            ReadBack[canary.Shape] = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync());
        }
    }

    private async Task RegisterDefinitionsAsync()
    {
        var taskDefs = new JsonArray(
            new JsonObject { ["name"] = WorkerType, ["retryCount"] = 0, ["responseTimeoutSeconds"] = 30 },
            new JsonObject { ["name"] = RetryType, ["retryCount"] = 2, ["retryDelaySeconds"] = 0, ["responseTimeoutSeconds"] = 30 },
            new JsonObject { ["name"] = FailType, ["retryCount"] = 0, ["responseTimeoutSeconds"] = 30 },
            new JsonObject { ["name"] = WaitType, ["retryCount"] = 0, ["responseTimeoutSeconds"] = 30 },
            new JsonObject { ["name"] = HttpRetryDef, ["retryCount"] = 1, ["retryDelaySeconds"] = 0 });
        (await Client.PostAsync("/api/metadata/taskdefs", taskDefs)).ShouldBe(HttpStatusCode.OK);

        foreach (var canary in Canaries)
        {
            await Client.RegisterWorkflowAsync(HttpWorkflow(canary));
            await Client.RegisterWorkflowAsync(InlineWorkflow(canary));
            (await Client.PostAsync("/v1/workflows", NodeWorkflow(canary))).ShouldBe(HttpStatusCode.Created);
        }
        await Client.RegisterWorkflowAsync(WorkerWorkflow());
        await Client.RegisterWorkflowAsync(Workflow($"canary_fail_{Run}", Simple(FailType, "fail", new JsonObject
        {
            ["v"] = Shape("random").Reference,
            ["j"] = Shape("json").FieldReference("password"),
        })));
        await Client.RegisterWorkflowAsync(Workflow($"canary_terminate_{Run}", new JsonObject
        {
            ["name"] = "stop",
            ["taskReferenceName"] = "stop",
            ["type"] = "TERMINATE",
            ["inputParameters"] = new JsonObject
            {
                ["terminationStatus"] = "FAILED",
                ["terminationReason"] = $"stopped with {Shape("random").Reference} and {Shape("nonascii").Reference}",
                ["workflowOutput"] = new JsonObject { ["leak"] = Shape("special").Reference, ["pem"] = Shape("pem").Reference },
            },
        }));
        await Client.RegisterWorkflowAsync(Workflow($"canary_api_terminate_{Run}", Simple(WaitType, "wait", new JsonObject { ["v"] = Shape("random").Reference })));
        await Client.RegisterWorkflowAsync(Workflow($"canary_missing_{Run}",
            Http("missing", $"{Peer.BaseUrl}/echo/missing", "GET", null, new JsonObject { [HeaderName] = $"${{workflow.secrets.{MissingSecret}}}" })));
        await Client.RegisterWorkflowAsync(Workflow($"canary_base64_check_{Run}",
            Inline("base64", Scripts.Base64, new JsonObject { ["v"] = "${workflow.input.v}" }),
            Inline("upper", Scripts.Upper, new JsonObject { ["v"] = "${workflow.input.v}" }),
            Inline("reversed", Scripts.Reversed, new JsonObject { ["v"] = "${workflow.input.v}" }),
            Inline("sliced", Scripts.Sliced, new JsonObject { ["v"] = "${workflow.input.v}" })));
    }

    /// <summary>The secret in a header the peer echoes back, in the URL path and query, and in the body; to /echo, /status/500 and /status/404.</summary>
    private JsonObject HttpWorkflow(Canary canary)
    {
        JsonObject Headers()
        {
            var headers = new JsonObject { [ShapeHeader] = canary.Shape };
            if (canary.HeaderSafe) headers[HeaderName] = canary.ScalarReference;
            return headers;
        }
        JsonObject Body() => new()
        {
            ["shape"] = canary.Shape,
            ["secret"] = canary.Reference,
            ["text"] = $"before {canary.ScalarReference} after",
        };
        var inUrl = canary.UrlSafe ? canary.ScalarReference : "not-in-url";
        var echo = Http("echo", $"{Peer.BaseUrl}/echo/p/{inUrl}?q={inUrl}&shape={canary.Shape}", "POST", Body(), Headers());
        var error500 = Http("err500", $"{Peer.BaseUrl}/status/500?q={inUrl}&shape={canary.Shape}", "POST", Body(), Headers());
        error500["name"] = HttpRetryDef;
        error500["optional"] = true;
        var error404 = Http("err404", $"{Peer.BaseUrl}/status/404?q={inUrl}&shape={canary.Shape}", "PUT", Body(), Headers());
        error404["optional"] = true;
        var def = Workflow($"canary_http_{canary.Shape}_{Run}", echo, error500, error404);
        def["outputParameters"] = new JsonObject
        {
            ["echoed"] = "${echo.output.response.body}",
            ["errorBody"] = "${err500.output.response.body}",
            ["notFoundBody"] = "${err404.output.response.body}",
        };
        return def;
    }

    /// <summary>
    /// A node workflow whose verbose WEBHOOK carries the value as node templates write it: a header, the URL's path
    /// (URI-encoded by jq), the body as the value, as base64 computed by jq and embedded in text; its <c>variables</c>
    /// and <c>links</c> read the peer's echo, so the value comes back through <c>.result</c> too.
    /// </summary>
    private JsonObject NodeWorkflow(Canary canary)
    {
        var scalar = canary.Json is null ? $".secrets[\"{canary.Name}\"]" : $".secrets[\"{canary.Name}\"].password";
        var headers = new JsonObject { [ShapeHeader] = canary.Shape };
        if (canary.HeaderSafe) headers[HeaderName] = $"{{{{ {scalar} }}}}";
        var inUrl = canary.UrlSafe ? $"{{{{ {scalar} | @uri }}}}" : "not-in-url";
        var send = new JsonObject
        {
            ["identifier"] = "send",
            ["verbose"] = true,
            ["config"] = new JsonObject
            {
                ["type"] = "WEBHOOK",
                ["url"] = $"{Peer.BaseUrl}/echo/node/{inUrl}?shape={canary.Shape}",
                ["method"] = "POST",
                ["headers"] = headers,
                ["body"] = new JsonObject
                {
                    ["shape"] = canary.Shape,
                    ["secret"] = $"{{{{ {scalar} }}}}",
                    ["b64"] = $"{{{{ {scalar} | @base64 }}}}",
                    ["text"] = $"before {{{{ {scalar} }}}} after",
                },
            },
            ["variables"] = new JsonObject { ["echoed"] = "{{ .result.response.data.body }}" },
            ["links"] = new JsonArray($"https://audit.example.com/{{{{ .result.response.data.body.secret | @uri }}}}"),
        };
        return new JsonObject
        {
            ["identifier"] = $"canary_node_{canary.Shape}_{Run}",
            ["nodes"] = new JsonArray(JsonNode.Parse("""{"identifier": "trigger", "config": {"type": "SELF_SERVE_TRIGGER"}}"""), send),
            ["connections"] = new JsonArray(new JsonObject { ["sourceIdentifier"] = "trigger", ["targetIdentifier"] = "send" }),
        };
    }

    /// <summary>INLINE scripts that return the value transformed, SET_VARIABLE with it, and output parameters naming it.</summary>
    private JsonObject InlineWorkflow(Canary canary)
    {
        var tasks = Scripts.Transformations
            .Select(t => Inline(t.Reference, t.Script, new JsonObject { ["v"] = canary.ScalarReference }))
            .ToList();
        if (canary.Json is not null)
        {
            tasks.Add(Inline("whole", Scripts.Raw, new JsonObject { ["v"] = canary.Reference }));
            tasks.Add(Inline("stringified", Scripts.Stringified, new JsonObject { ["v"] = canary.Reference }));
        }
        // Script outputs that handled a secret are quarantined (*** in every read), so what the script saw is
        // checked where it is used: a later task sends the length to the peer.
        tasks.Add(Http("report", $"{Peer.BaseUrl}/echo/inline-report?shape={canary.Shape}", "POST", new JsonObject { ["length"] = "${length.output.result}" }, new JsonObject()));
        tasks.Add(new JsonObject
        {
            ["name"] = "stash",
            ["taskReferenceName"] = "stash",
            ["type"] = "SET_VARIABLE",
            ["inputParameters"] = new JsonObject { ["stash"] = canary.Reference, ["text"] = $"stash {canary.ScalarReference}" },
        });
        var def = Workflow($"canary_inline_{canary.Shape}_{Run}", [.. tasks]);
        def["outputParameters"] = new JsonObject
        {
            ["secret"] = canary.Reference,
            ["text"] = $"out {canary.ScalarReference}",
            ["fromInline"] = "${raw.output.result}",
            ["upper"] = "${upper.output.result}",
            ["length"] = "${length.output.result}",
            ["variables"] = "${workflow.variables}",
        };
        return def;
    }

    /// <summary>A worker task with every canary in its input, then a task that fails twice before it succeeds.</summary>
    private JsonObject WorkerWorkflow()
    {
        var input = new JsonObject { ["bearer"] = $"Bearer {Shape("random").Reference}", ["jsonLeaf"] = Shape("json").FieldReference("password") };
        foreach (var canary in Canaries) input[canary.Shape] = canary.Reference;
        var def = Workflow($"canary_worker_{Run}",
            Simple(WorkerType, "work", input),
            Simple(RetryType, "retry", new JsonObject
            {
                ["v"] = Shape("random").Reference,
                ["s"] = Shape("special").Reference,
                ["n"] = Shape("nonascii").Reference,
                ["p"] = Shape("pem").Reference,
            }));
        def["outputParameters"] = new JsonObject { ["workerOut"] = "${work.output}", ["retryOut"] = "${retry.output}" };
        return def;
    }

    /// <summary>The test worker: receives the real values, then writes them into its output, its logs and its failure reasons.</summary>
    private async Task WorkAsync()
    {
        var task = await PollAsync(WorkerType, 0);
        var taskId = task.TaskId;
        foreach (var canary in Canaries)
        {
            (await Client.SendRawAsync(HttpMethod.Post, $"/api/tasks/{taskId}/log", JsonValue.Create($"working with {canary.Value}")!.ToJsonString())).ShouldBe(HttpStatusCode.OK);
            (await Client.SendRawAsync(HttpMethod.Post, $"/api/tasks/{taskId}/log", $"plain log {canary.ScalarValue}", "text/plain")).ShouldBe(HttpStatusCode.OK);
        }
        var output = new JsonObject { ["bearer"] = "Bearer " + Shape("random").Value };
        foreach (var canary in Canaries) output[canary.Shape] = canary.Json is null ? canary.Value : canary.Json.DeepClone();
        var logs = new JsonArray([.. Canaries.Select(c => (JsonNode?)new JsonObject
        {
            ["log"] = $"result log {c.ScalarValue}", ["taskId"] = taskId, ["createdTime"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        })]);
        await ReportAsync(task, "COMPLETED", output, null, logs);

        // Two failed attempts whose reasons and outputs carry values, then success.
        string[][] reasons =
        [
            [Shape("random").Value, Shape("special").Value],
            [Shape("nonascii").Value, Shape("pem").Value],
        ];
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var retry = await PollAsync(RetryType, attempt);
            if (attempt < 2)
            {
                await ReportAsync(retry, "FAILED", new JsonObject { ["seen"] = reasons[attempt][0] },
                    $"attempt {attempt} failed for {reasons[attempt][0]} and {reasons[attempt][1]}", null);
            }
            else
            {
                await ReportAsync(retry, "COMPLETED", new JsonObject { ["ok"] = true, ["echo"] = Shape("json").ScalarValue }, null, null);
            }
        }

        // This one through the batch poll, the other route a worker takes.
        var fail = await PollAsync(FailType, 0, batch: true);
        await ReportAsync(fail, "FAILED", new JsonObject { ["tried"] = Shape("random").Value },
            $"cannot log in with {Shape("json").ScalarValue} / {Shape("random").Value}", null);
    }

    /// <summary>
    /// Polls one task as a worker would. The answer is kept raw: if it is not valid JSON (a value masked inside it,
    /// say), the ids are still read from the text so the run can go on and the other paths still get exercised.
    /// </summary>
    private async Task<(string TaskId, string WorkflowId)> PollAsync(string taskType, int attempt, bool batch = false)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var reply = await Client.GetAsync(batch
                ? $"/api/tasks/poll/batch/{taskType}?workerid=canary-worker&count=1&timeout=500"
                : $"/api/tasks/poll/{taskType}?workerid=canary-worker&timeout=500");
            if (reply.Status != HttpStatusCode.OK || reply.Text is "" or "[]") continue;
            JsonObject? task;
            try
            {
                task = batch ? reply.Json?[0] as JsonObject : reply.Json as JsonObject;
            }
            catch (System.Text.Json.JsonException)
            {
                task = null;
            }
            WorkerInputs[$"{taskType}/{attempt}"] = (reply.Text, task?["inputData"] as JsonObject);
            return (IdIn(reply.Text, "taskId"), IdIn(reply.Text, "workflowInstanceId"));
        }
        throw new TimeoutException($"No {taskType} task was handed out within 30 s");
    }

    private static string IdIn(string text, string field) =>
        System.Text.RegularExpressions.Regex.Match(text, $"\"{field}\"\\s*:\\s*\"([^\"]+)\"") is { Success: true } m
            ? m.Groups[1].Value
            : throw new InvalidOperationException($"no {field} in the poll answer");

    private async Task ReportAsync((string TaskId, string WorkflowId) task, string status, JsonObject output, string? reason, JsonArray? logs)
    {
        var result = new JsonObject
        {
            ["workflowInstanceId"] = task.WorkflowId,
            ["taskId"] = task.TaskId,
            ["status"] = status,
            ["outputData"] = output,
            ["reasonForIncompletion"] = reason,
            ["logs"] = logs,
        };
        (await Client.PostAsync("/api/tasks", result)).ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>Terminates a waiting run through the API with a reason that carries a value.</summary>
    private async Task TerminateByApiAsync()
    {
        var id = Runs["api_terminate"];
        await Client.WaitForStatusAsync(id, "RUNNING");
        var reason = Uri.EscapeDataString($"operator stop: {Shape("random").Value}");
        (await Client.DeleteAsync($"/api/workflow/{id}?reason={reason}")).ShouldBe(HttpStatusCode.OK);
    }

    // ---- definition builders ----

    private static JsonObject Workflow(string name, params JsonObject[] tasks) => new()
    {
        ["name"] = name,
        ["version"] = 1,
        ["schemaVersion"] = 2,
        ["ownerEmail"] = "canary@example.invalid",
        ["tasks"] = new JsonArray([.. tasks]),
    };

    private static JsonObject Simple(string name, string reference, JsonObject input) => new()
    {
        ["name"] = name,
        ["taskReferenceName"] = reference,
        ["type"] = "SIMPLE",
        ["inputParameters"] = input,
    };

    private static JsonObject Http(string reference, string uri, string method, JsonNode? body, JsonObject headers) => new()
    {
        ["name"] = reference,
        ["taskReferenceName"] = reference,
        ["type"] = "HTTP",
        ["inputParameters"] = new JsonObject
        {
            ["http_request"] = new JsonObject { ["uri"] = uri, ["method"] = method, ["body"] = body, ["headers"] = headers },
        },
    };

    private static JsonObject Inline(string reference, string expression, JsonObject input)
    {
        input["evaluatorType"] = "javascript";
        input["expression"] = expression;
        return new JsonObject { ["name"] = reference, ["taskReferenceName"] = reference, ["type"] = "INLINE", ["inputParameters"] = input };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        await Peer.DisposeAsync();
    }
}
