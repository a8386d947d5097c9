using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// Issue 18: two nodes on one PostgreSQL database keep each other's in-memory models true (LISTEN/NOTIFY). A change
/// made through node A is seen by node B within a generous deadline: a new secret's value is masked by B's redactor,
/// a task definition drives B's engine (and its deletion too), an application's key signs in on B and a revoked grant
/// is refused there, an environment value is read by a run started on B, and a deleted secret no longer resolves on B.
/// </summary>
public sealed class ClusterModelTests(ClusterModelTests.TwoNodes nodes) : IClassFixture<ClusterModelTests.TwoNodes>
{
    /// <summary>Far more than the second it should take: the tests prove propagation, not its speed.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private BatonClient A => nodes.ClientA;

    private BatonClient B => nodes.ClientB;

    /// <summary>Two servers on one fresh database, with one master key; B started once A is ready.</summary>
    public sealed class TwoNodes : IAsyncLifetime
    {
        private PostgresTestDatabase _database = null!;

        public ServerProcess NodeA { get; private set; } = null!;

        public ServerProcess NodeB { get; private set; } = null!;

        public BatonClient ClientA { get; private set; } = null!;

        public BatonClient ClientB { get; private set; } = null!;

        public string ConnectionString => _database.ConnectionString;

        public async Task InitializeAsync()
        {
            _database = await PostgresTestDatabase.CreateAsync();
            var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            string[] args =
            [
                "--Baton:Storage:Provider=postgres", $"--Baton:Storage:Postgres:ConnectionString={_database.ConnectionString}",
                $"--Baton:Secrets:MasterKey={key}",
            ];
            NodeA = await ServerProcess.StartAsync(args);
            NodeB = await ServerProcess.StartAsync(args);
            // The administrator was created by A (B found it in the database): both sign in with A's credentials.
            ClientA = new BatonClient(NodeA);
            ClientB = new BatonClient(NodeB.BaseUrl, NodeA.AdminCredentials());
        }

        public async Task DisposeAsync()
        {
            ClientA.Dispose();
            ClientB.Dispose();
            await NodeB.DisposeAsync();
            await NodeA.DisposeAsync();
            await _database.DisposeAsync();
        }
    }

    /// <summary>Tries <paramref name="check"/> until it holds or the deadline passes.</summary>
    private static async Task EventuallyAsync(Func<Task<bool>> check, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await check())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Node B never saw it: {what}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_secret_created_on_one_node_is_masked_by_the_other()
    {
        var type = Defs.Unique("cluster_log");
        await A.RegisterWorkflowAsync(Defs.Workflow(type, Defs.Simple(type)));
        await B.StartAsync(type);
        var task = await B.PollTaskAsync(type);

        var value = "cluster-value-" + Guid.NewGuid().ToString("N");
        await A.NewSecretAsync(value);
        var line = 0;
        await EventuallyAsync(async () =>
        {
            line++;
            (await B.SendRawAsync(HttpMethod.Post, $"/api/tasks/{task["taskId"]}/log", $"\"worker saw {value} #{line}\"")).ShouldBe(HttpStatusCode.OK);
            return (await B.GetAsync($"/api/tasks/{task["taskId"]}/log")).Text.Contains($"worker saw *** #{line}", StringComparison.Ordinal);
        }, "a task log line holding the new secret's value is masked");
        Assert.DoesNotContain(value, (await B.GetAsync($"/api/tasks/{task["taskId"]}/log")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_definition_saved_or_deleted_on_one_node_drives_the_other_nodes_engine()
    {
        var type = Defs.Unique("cluster_def");
        var workflow = Defs.Unique("cluster_def_wf");
        (await A.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject
        {
            ["name"] = type,
            ["timeoutSeconds"] = 3600,
            ["responseTimeoutSeconds"] = 777,
        }))).ShouldBe(HttpStatusCode.OK);
        await A.RegisterWorkflowAsync(Defs.Workflow(workflow, Defs.Simple(type)));

        async Task<long> ScheduledResponseTimeoutOnBAsync()
        {
            var id = await B.StartAsync(workflow);
            var run = await B.WaitForAsync(id, r => r["tasks"]!.AsArray().Count > 0);
            return run["tasks"]![0]!["responseTimeoutSeconds"]!.GetValue<long>();
        }

        await EventuallyAsync(async () => await ScheduledResponseTimeoutOnBAsync() == 777, "B schedules with the task definition saved on A");
        (await A.DeleteAsync($"/api/metadata/taskdefs/{type}")).ShouldBe(HttpStatusCode.OK);
        await EventuallyAsync(async () => await ScheduledResponseTimeoutOnBAsync() == 3600, "B forgets the task definition deleted on A");
    }

    [Fact]
    public async Task An_access_key_made_on_one_node_signs_in_on_the_other_and_a_grant_revoked_there_is_refused()
    {
        var workflow = Defs.Unique("cluster_access");
        await A.RegisterWorkflowAsync(Defs.Workflow(workflow, Defs.Simple(workflow + "_work")));
        var app = (await A.PostAsync("/api/applications", new JsonObject { ["name"] = Defs.Unique("cluster-app") })).Object["id"]!.GetValue<string>();
        var key = (await A.PostAsync($"/api/applications/{app}/accessKeys")).Object;
        var credentials = new JsonObject { ["keyId"] = key["id"]!.DeepClone(), ["keySecret"] = key["secret"]!.DeepClone() };
        var grant = new JsonObject
        {
            ["subject"] = new JsonObject { ["type"] = "USER", ["id"] = $"app:{app}" },
            ["target"] = new JsonObject { ["type"] = "WORKFLOW_DEF", ["id"] = workflow },
            ["access"] = new JsonArray("EXECUTE"),
        };
        (await A.PostAsync("/api/auth/authorization", grant.DeepClone())).ShouldBe(HttpStatusCode.OK);

        using var signIn = new HttpClient { BaseAddress = new Uri(nodes.NodeB.BaseUrl) };
        string? token = null;
        await EventuallyAsync(async () =>
        {
            using var reply = await signIn.PostAsync(new Uri("/api/token", UriKind.Relative), new StringContent(credentials.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            if (reply.StatusCode != HttpStatusCode.OK) return false;
            token = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
            return true;
        }, "the access key made on A signs in on B");

        async Task<HttpStatusCode> StartOnBAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/workflow/{workflow}", UriKind.Relative))
            {
                Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Authorization", token);
            using var reply = await signIn.SendAsync(request);
            return reply.StatusCode;
        }

        await EventuallyAsync(async () => await StartOnBAsync() == HttpStatusCode.OK, "the application starts the workflow it was granted on A");
        (await A.SendAsync(HttpMethod.Delete, "/api/auth/authorization", grant.DeepClone())).ShouldBe(HttpStatusCode.OK);
        await EventuallyAsync(async () => await StartOnBAsync() == HttpStatusCode.Forbidden, "the grant revoked on A is refused on B");
    }

    [Fact]
    public async Task An_environment_value_put_on_one_node_is_used_by_a_run_started_on_the_other()
    {
        var name = Defs.Unique("CLUSTER_ENV");
        var workflow = Defs.Unique("cluster_env_wf");
        await A.RegisterWorkflowAsync(Defs.Workflow(workflow, Defs.Simple(workflow + "_work", "work", new JsonObject { ["seen"] = $"${{workflow.env.{name}}}" })));

        async Task<string?> SeenOnBAsync()
        {
            var id = await B.StartAsync(workflow);
            var run = await B.WaitForAsync(id, r => r["tasks"]!.AsArray().Count > 0);
            return run["tasks"]![0]!["inputData"]!["seen"]?.ToString();
        }

        (await A.SendRawAsync(HttpMethod.Put, $"/api/environment/{name}", "first value", "text/plain")).ShouldBe(HttpStatusCode.OK);
        await EventuallyAsync(async () => await SeenOnBAsync() == "first value", "B's run reads the value put on A");
        (await A.SendRawAsync(HttpMethod.Put, $"/api/environment/{name}", "second value", "text/plain")).ShouldBe(HttpStatusCode.OK);
        await EventuallyAsync(async () => await SeenOnBAsync() == "second value", "B's run reads the value changed on A");
    }

    [Fact]
    public async Task A_secret_deleted_on_one_node_no_longer_resolves_on_the_other()
    {
        var value = "cluster-deleted-" + Guid.NewGuid().ToString("N");
        var secret = await A.NewSecretAsync(value);
        var workflow = Defs.Unique("cluster_secret_wf");
        await A.RegisterWorkflowAsync(Defs.Workflow(workflow,
            Defs.Inline("use", "$.key.length > 0", new JsonObject { ["key"] = $"${{workflow.secrets.{secret}}}" })));

        async Task<string> OutcomeOnBAsync()
        {
            var start = await B.PostAsync("/api/workflow", new JsonObject { ["name"] = workflow, ["input"] = new JsonObject() });
            if (start.Status != HttpStatusCode.OK) return "refused";
            var run = await B.WaitForStatusAsync(start.Text, "COMPLETED", "FAILED", "TERMINATED");
            return run["status"]!.GetValue<string>();
        }

        await EventuallyAsync(async () => await OutcomeOnBAsync() == "COMPLETED", "B resolves the secret created on A");
        (await A.DeleteAsync($"/api/secrets/{secret}")).ShouldBe(HttpStatusCode.OK);
        await EventuallyAsync(async () => await OutcomeOnBAsync() is "FAILED" or "refused", "B no longer resolves the secret deleted on A");
    }
}
