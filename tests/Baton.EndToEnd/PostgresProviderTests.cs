using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// The server on PostgreSQL (<c>Baton:Storage:Provider=postgres</c>), each test on a database of its own: a workflow
/// that uses a secret runs and outlives a kill, no value reaches the database's files, a node with another master key
/// is refused, and PostgreSQL going away makes the server not ready without losing anything.
/// </summary>
public sealed class PostgresProviderTests : IAsyncLifetime
{
    private EchoPeer _peer = null!;

    public async Task InitializeAsync() => _peer = await EchoPeer.StartAsync();

    public async Task DisposeAsync() => await _peer.DisposeAsync();

    private static string[] On(string connectionString, params string[] more) =>
        ["--Baton:Storage:Provider=postgres", $"--Baton:Storage:Postgres:ConnectionString={connectionString}", .. more];

    [Fact]
    public async Task A_workflow_with_a_secret_runs_on_PostgreSQL_outlives_a_kill_and_no_value_reaches_its_files()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var server = await ServerProcess.StartAsync(On(database.ConnectionString));
        var value = "pg-value-" + Guid.NewGuid().ToString("N");
        var marker = Guid.NewGuid().ToString("N");
        string secret, workflowId;
        using (var client = new BatonClient(server))
        {
            secret = await client.NewSecretAsync(value);
            var run = await client.ExecuteAsync(Defs.Workflow(Defs.Unique("pg"), Defs.Http("call", $"{_peer.BaseUrl}/echo", "POST",
                body: new JsonObject { ["token"] = $"${{workflow.secrets.{secret}}}" },
                headers: new JsonObject { ["Authorization"] = $"Bearer ${{workflow.secrets.{secret}}}", ["X-Marker"] = marker })));
            Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
            workflowId = run["workflowId"]!.GetValue<string>();
        }
        Assert.Equal($"Bearer {value}", _peer.Received(marker)["headers"]!["authorization"]!.GetValue<string>());
        Assert.False(File.Exists(Path.Combine(server.DataDir, "baton.db")), "On PostgreSQL the data folder holds no SQLite database.");

        await server.KillAsync();
        await server.LaunchAsync();
        using (var client = new BatonClient(server))
        {
            var stored = await client.GetWorkflowAsync(workflowId);
            Assert.Equal("COMPLETED", stored["status"]!.GetValue<string>());
            Assert.DoesNotContain(value, stored.ToJsonString(), StringComparison.Ordinal);
            var secrets = await client.GetAsync("/api/secrets");
            Assert.Contains(secret, secrets.Text, StringComparison.Ordinal);
            var audit = await client.GetAsync($"/api/audit?secret={secret}");
            Assert.Contains("resolve", audit.Text, StringComparison.Ordinal);
        }
        // The scan sees what is stored (the secret's name, the run's id), so its "no" about the value means something.
        Assert.True(await database.DataFilesContainAsync(Encoding.UTF8.GetBytes(workflowId)), "The scan must see the run, or it proves nothing.");
        Assert.False(await database.DataFilesContainAsync(Encoding.UTF8.GetBytes(value)));
    }

    [Fact]
    public async Task A_node_with_another_master_key_refuses_to_start_naming_the_expected_fingerprint()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string expected;
        await using (var first = await ServerProcess.StartAsync(On(database.ConnectionString, $"--Baton:Secrets:MasterKey={key}")))
        {
            using var client = new BatonClient(first);
            expected = (await client.GetAsync("/api/admin/keys")).Object["masterKeyFingerprint"]!.GetValue<string>();
        }

        var other = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ServerProcess.StartAsync(On(database.ConnectionString, $"--Baton:Secrets:MasterKey={other}")));
        Assert.Contains("exited with code 2", error.Message, StringComparison.Ordinal);
        Assert.Contains($"sealed with master key {expected}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(other, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSQL_going_away_makes_the_server_not_ready_loses_nothing_and_work_resumes_when_it_returns()
    {
        await using var postgres = await ThrowawayPostgres.StartAsync();
        await using var server = await ServerProcess.StartAsync(On(postgres.ConnectionString));
        using var client = new BatonClient(server);
        var name = Defs.Unique("pg_outage");
        await client.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(name + "_work", "work")));
        var workflowId = await client.StartAsync(name);
        var task = await client.PollTaskAsync(name + "_work");

        await postgres.StopAsync();
        var ready = await client.GetAsync("/health/ready");
        ready.ShouldBe(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("DOWN", ready.Object["status"]!.GetValue<string>());
        Assert.Contains("PostgreSQL", ready.Object["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        // A call that needs the store says it is away: 503, never a 500 or a stack trace.
        var during = await client.PostAsync("/api/tasks", new JsonObject
        {
            ["workflowInstanceId"] = workflowId,
            ["taskId"] = task["taskId"]!.GetValue<string>(),
            ["status"] = "COMPLETED",
            ["outputData"] = new JsonObject { ["during"] = true },
        });
        during.ShouldBe(HttpStatusCode.ServiceUnavailable);
        Assert.DoesNotContain("   at ", during.Text, StringComparison.Ordinal);
        // It says when to try again, and so does a sign-in, whose failures are counted in the store.
        var update = new JsonObject { ["workflowInstanceId"] = workflowId, ["taskId"] = task["taskId"]!.GetValue<string>(), ["status"] = "COMPLETED" };
        using (var reply = await client.Http.PostAsync("/api/tasks", new StringContent(update.ToJsonString(), System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, reply.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), reply.Headers.RetryAfter?.Delta);
        }
        using (var anonymous = new BatonClient(server.BaseUrl))
        using (var signIn = await anonymous.Http.PostAsync("/api/token", new StringContent(server.AdminCredentials().ToJsonString(), System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, signIn.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), signIn.Headers.RetryAfter?.Delta);
        }

        await postgres.StartAgainAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await client.GetAsync("/health/ready")).Status != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "The server never became ready again after PostgreSQL returned.");
            await Task.Delay(200);
        }
        await client.CompleteTaskAsync(task, new JsonObject { ["after"] = true });
        var run = await client.WaitForStatusAsync(workflowId, "COMPLETED");
        Assert.True(run["tasks"]![0]!["outputData"]!["after"]!.GetValue<bool>());
    }

    [Fact]
    public async Task An_http_task_that_finishes_while_PostgreSQL_is_away_is_carried_on_when_it_returns()
    {
        await using var postgres = await ThrowawayPostgres.StartAsync();
        await using var server = await ServerProcess.StartAsync(On(postgres.ConnectionString));
        using var client = new BatonClient(server);
        var name = Defs.Unique("pg_outage_http");
        var slow = Defs.Http("slow", $"{_peer.BaseUrl}/delay/2500");
        slow["inputParameters"]!["http_request"]!["readTimeOut"] = 20000;
        await client.RegisterWorkflowAsync(Defs.Workflow(name, slow));
        var workflowId = await client.StartAsync(name);
        // The task is handed to its executor at once; the peer holds the call for 2.5 s.
        await client.WaitForAsync(workflowId, r => r["tasks"]!.AsArray().Count == 1);
        await Task.Delay(500);

        // The call finishes while PostgreSQL is away, so its outcome cannot be recorded then.
        await postgres.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(5));
        await postgres.StartAgainAsync();

        var run = await client.WaitForStatusAsync(workflowId, "COMPLETED");
        Assert.Equal(200, run["tasks"]![0]!["outputData"]!["response"]!["statusCode"]!.GetValue<int>());
    }
}
