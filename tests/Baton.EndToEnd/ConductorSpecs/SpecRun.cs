using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Baton.Testing;

namespace Baton.EndToEnd.ConductorSpecs;

/// <summary>
/// What Conductor's <c>AbstractSpecification</c> and <c>WorkflowTestUtil</c> give a spec, over Baton's REST API: its
/// definitions registered (with every workflow and worker task name suffixed per test, so tests sharing a server never
/// poll each other's tasks), the harness's task definitions, and a worker's poll-and-complete.
/// </summary>
public sealed partial class SpecRun(BatonClient client)
{
    private readonly string _suffix = "_" + Guid.NewGuid().ToString("N")[..8];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public BatonClient Client => client;

    /// <summary>The name this test gives a workflow or task name of the definitions.</summary>
    public string N(string name) => name + _suffix;

    /// <summary>Registers the harness's task definitions the files use, then the files' workflows (renamed).</summary>
    public async Task RegisterAsync(params string[] files)
    {
        var defs = files.Select(f => JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ConductorSpecs", "Definitions", f)))!.AsObject()).ToList();
        foreach (var def in defs) _names.Add(def["name"]!.GetValue<string>());
        foreach (var def in defs) Collect(def);
        foreach (var name in _names.Where(n => IntegrationTask().IsMatch(n) || IntegrationTaskNoRetry().IsMatch(n) || n is "simple_task_in_sub_wf").ToList())
        {
            await RegisterTaskDefAsync(name, retryCount: IntegrationTaskNoRetry().IsMatch(name) || name is "simple_task_in_sub_wf" ? 0 : 1);
        }
        foreach (var def in defs)
        {
            Rename(def);
            (await client.PostAsync("/api/metadata/workflow?overwrite=true", def)).ShouldBe(HttpStatusCode.OK);
        }
    }

    /// <summary>Conductor's harness task definition: retries as given, 120 s timeout and response timeout.</summary>
    public async Task RegisterTaskDefAsync(string name, int retryCount, int retryDelaySeconds = 0)
    {
        var def = new JsonObject
        {
            ["name"] = N(name),
            ["retryCount"] = retryCount,
            ["timeoutSeconds"] = 120,
            ["responseTimeoutSeconds"] = 120,
            ["retryLogic"] = "FIXED",
            ["retryDelaySeconds"] = retryDelaySeconds,
            ["timeoutPolicy"] = "TIME_OUT_WF",
            ["ownerEmail"] = "test@harness.com",
        };
        (await client.PostAsync("/api/metadata/taskdefs", new JsonArray(def))).ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>Asserts the run's tasks, in order, as (type, status) pairs (worker types without the suffix).</summary>
    public void Expect(JsonObject run, params (string Type, string Status)[] tasks) =>
        Assert.Equal(tasks.Select(t => $"{t.Type}:{t.Status}"), Tasks(run).Select(t => $"{Plain(S(t["taskType"]))}:{S(t["status"])}"));

    /// <summary>A definition as stored, by its name in the files.</summary>
    public async Task<JsonObject> GetDefAsync(string name)
    {
        var reply = await client.GetAsync($"/api/metadata/workflow/{N(name)}?version=1");
        reply.ShouldBe(HttpStatusCode.OK);
        return reply.Object;
    }

    public async Task UpdateDefAsync(JsonObject def) =>
        (await client.PutAsync("/api/metadata/workflow", new JsonArray(def.DeepClone()))).ShouldBe(HttpStatusCode.OK);

    public async Task<string> StartAsync(string workflow, JsonObject? input = null, string? correlationId = null)
    {
        var request = new JsonObject { ["name"] = N(workflow), ["version"] = 1, ["input"] = input ?? new JsonObject(), ["correlationId"] = correlationId };
        var reply = await client.PostAsync("/api/workflow", request);
        reply.ShouldBe(HttpStatusCode.OK);
        return reply.Text;
    }

    public Task<JsonObject> GetAsync(string id) => client.GetWorkflowAsync(id);

    public Task<JsonObject> WaitForStatusAsync(string id, params string[] statuses) => client.WaitForStatusAsync(id, statuses);

    public Task<JsonObject> WaitForAsync(string id, Func<JsonObject, bool> condition) => client.WaitForAsync(id, condition);

    /// <summary><c>workflowTestUtil.pollAndCompleteTask</c>: polls one task of the (renamed) type and completes it.</summary>
    public async Task<JsonObject> PollAndCompleteAsync(string taskType, JsonObject? output = null)
    {
        var task = await client.PollTaskAsync(N(taskType));
        await client.CompleteTaskAsync(task, output);
        return task;
    }

    /// <summary><c>workflowTestUtil.pollAndFailTask</c>.</summary>
    public async Task<JsonObject> PollAndFailAsync(string taskType, string reason, JsonObject? output = null)
    {
        var task = await client.PollTaskAsync(N(taskType));
        await client.CompleteTaskAsync(task, output, "FAILED", reason);
        return task;
    }

    /// <summary>The run's tasks, in order.</summary>
    public static List<JsonObject> Tasks(JsonObject run) => [.. run["tasks"]!.AsArray().Select(t => t!.AsObject())];

    public static string S(JsonNode? node) => node!.GetValue<string>();

    /// <summary>The task types of a run (worker types without this test's suffix), in order.</summary>
    public List<string> Types(JsonObject run) => [.. Tasks(run).Select(t => Plain(S(t["taskType"])))];

    public static List<string> Statuses(JsonObject run) => [.. Tasks(run).Select(t => S(t["status"]))];

    public string Plain(string name) => name.EndsWith(_suffix, StringComparison.Ordinal) ? name[..^_suffix.Length] : name;

    public static JsonObject Task(JsonObject run, string reference) =>
        Tasks(run).Last(t => S(t["referenceTaskName"]) == reference);

    private void Collect(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["taskReferenceName"] is not null && o["type"]?.GetValue<string>() is null or "SIMPLE" && o["name"] is JsonValue n) _names.Add(n.GetValue<string>());
                if (o["subWorkflowParam"]?["name"] is JsonValue sub && !sub.GetValue<string>().Contains("${", StringComparison.Ordinal)) _names.Add(sub.GetValue<string>());
                foreach (var (_, child) in o) Collect(child);
                break;
            case JsonArray a:
                foreach (var child in a) Collect(child);
                break;
        }
    }

    private void Rename(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in new[] { "name", "failureWorkflow" })
                {
                    if (o[key] is JsonValue v && v.TryGetValue<string>(out var s) && _names.Contains(s) && (key != "name" || o["taskReferenceName"] is null || o["type"]?.GetValue<string>() is null or "SIMPLE"))
                    {
                        o[key] = N(s);
                    }
                }
                foreach (var (_, child) in o.ToList()) Rename(child);
                break;
            case JsonArray a:
                foreach (var child in a.ToList()) Rename(child);
                break;
        }
    }

    [GeneratedRegex(@"^integration_task_\d+$")]
    private static partial Regex IntegrationTask();

    [GeneratedRegex(@"^integration_task_0_RT_\d+$")]
    private static partial Regex IntegrationTaskNoRetry();
}
