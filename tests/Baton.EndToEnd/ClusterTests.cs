using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// Several nodes over one PostgreSQL database (issue 18): a run started on one node is worked on by workers that poll
/// and report on the others, each task goes to one poll only, and a node killed mid-run loses nothing: its runs, the
/// HTTP tasks it had in flight and its timers are carried on by the nodes left, and every worker answer is kept.
/// </summary>
public sealed class ClusterTests : IAsyncLifetime
{
    private const string WorkType = "cluster_work";
    private EchoPeer _peer = null!;
    private PostgresTestDatabase _database = null!;
    private readonly List<ServerProcess> _nodes = [];
    private readonly List<BatonClient> _clients = [];
    private readonly string _masterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public async Task InitializeAsync()
    {
        _peer = await EchoPeer.StartAsync();
        _database = await PostgresTestDatabase.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        foreach (var node in _nodes) await node.DisposeAsync();
        await _database.DisposeAsync();
        await _peer.DisposeAsync();
    }

    /// <summary>Starts <paramref name="count"/> more nodes (with the shared master key unless told another); returns every node started.</summary>
    private async Task<ServerProcess[]> StartNodesAsync(int count, string? masterKey = null)
    {
        for (var i = 0; i < count; i++)
        {
            // One after another: the first creates the schema, the keyring and the administrator the others share.
            _nodes.Add(await ServerProcess.StartAsync(
                "--Baton:Storage:Provider=postgres", $"--Baton:Storage:Postgres:ConnectionString={_database.ConnectionString}",
                "--Baton:Storage:Postgres:NodeLeaseSeconds=3", $"--Baton:Secrets:MasterKey={masterKey ?? _masterKey}"));
        }
        return [.. _nodes];
    }

    /// <summary>A client of <paramref name="node"/> signed in as the administrator (by default the first node's), disposed with the test.</summary>
    private BatonClient Client(ServerProcess node, JsonObject? credentials = null)
    {
        var client = new BatonClient(node.BaseUrl, credentials ?? _nodes[0].AdminCredentials());
        _clients.Add(client);
        return client;
    }

    private static JsonObject Chain(string name, string peer) => Defs.Workflow(name,
        Defs.Http("fetch", $"{peer}/delay/200?i=${{workflow.input.i}}"),
        Defs.Simple(WorkType, "work", new JsonObject { ["i"] = "${workflow.input.i}" }),
        Defs.Inline("shape", "$.answer + '!'", new JsonObject { ["answer"] = "${work.output.answer}" }),
        Defs.Http("report", $"{peer}/echo/report", "POST", new JsonObject { ["shaped"] = "${shape.output.result}" }));

    private static async Task RegisterWorkTypeAsync(BatonClient client) =>
        // A poll whose answer was lost with its node leaves the task IN_PROGRESS: it times out and is tried again.
        (await client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject
        {
            ["name"] = WorkType,
            ["retryCount"] = 5,
            ["retryLogic"] = "FIXED",
            ["retryDelaySeconds"] = 0,
            ["responseTimeoutSeconds"] = 5,
            ["timeoutSeconds"] = 0,
        }))).ShouldBe(HttpStatusCode.OK);

    [Fact]
    public async Task A_task_scheduled_on_one_node_is_polled_on_a_second_and_reported_on_a_third_and_the_run_completes()
    {
        var nodes = await StartNodesAsync(3);
        var a = Client(nodes[0]);
        var b = Client(nodes[1]);
        var c = Client(nodes[2]);
        await RegisterWorkTypeAsync(a);
        var name = Defs.Unique("cluster_hop");
        await a.RegisterWorkflowAsync(Chain(name, _peer.BaseUrl));

        var id = await a.StartAsync(name, new JsonObject { ["i"] = 1 });
        var task = await b.PollTaskAsync(WorkType);
        Assert.Equal(id, task["workflowInstanceId"]!.GetValue<string>());
        // The task is b's now: no other node hands it out again.
        Assert.Equal(HttpStatusCode.NoContent, (await c.GetAsync($"/api/tasks/poll/{WorkType}?workerid=other")).Status);
        await c.CompleteTaskAsync(task, new JsonObject { ["answer"] = "from-c" });

        // The owner (a) runs the HTTP task that c's commit scheduled, and a and b both see the end.
        var done = await b.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal("from-c!", done["tasks"]![2]!["outputData"]!["result"]!.GetValue<string>());
        Assert.Equal("COMPLETED", (await a.GetWorkflowAsync(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Three_nodes_started_together_on_an_empty_database_share_one_keyring_and_one_administrator()
    {
        string[] args = ["--Baton:Storage:Provider=postgres", $"--Baton:Storage:Postgres:ConnectionString={_database.ConnectionString}", $"--Baton:Secrets:MasterKey={_masterKey}"];
        _nodes.AddRange(await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => ServerProcess.StartAsync(args))));

        // Whichever node created the administrator wrote its sign-in; every node accepts it.
        var first = _nodes.Single(n => File.Exists(Path.Combine(n.DataDir, "admin-credentials.json")));
        var clients = _nodes.Select(n => Client(n, first.AdminCredentials())).ToArray();
        var value = "together-" + Guid.NewGuid().ToString("N");
        var secret = await clients[1].NewSecretAsync(value);
        foreach (var client in clients)
        {
            var read = await client.GetAsync($"/api/secrets/{secret}");
            read.ShouldBe(HttpStatusCode.OK);
            Assert.Contains(value, read.Text, StringComparison.Ordinal); // decrypted with the one shared keyring
        }
    }

    [Fact]
    public async Task Data_keys_rotated_at_once_on_two_nodes_are_both_kept_and_a_master_key_rotated_on_one_is_not_undone_by_the_other()
    {
        var nodes = await StartNodesAsync(2);
        var (a, b) = (Client(nodes[0]), Client(nodes[1]));

        // Each node last read the keyring at term 1; both rotate at once, and each then encrypts under its new term.
        var rotated = await Task.WhenAll(a.PostAsync("/api/admin/keys/rotate", new JsonObject()), b.PostAsync("/api/admin/keys/rotate", new JsonObject()));
        foreach (var reply in rotated) reply.ShouldBe(HttpStatusCode.OK);
        var (valueA, valueB) = ("rotated-on-a-" + Guid.NewGuid().ToString("N"), "rotated-on-b-" + Guid.NewGuid().ToString("N"));
        var (secretA, secretB) = (await a.NewSecretAsync(valueA), await b.NewSecretAsync(valueB));

        // A seals the keyring under a new master key; B, still holding the old one, must not write its keyring back.
        var newMaster = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var sealedAgain = await a.PostAsync("/api/admin/keys/master/rotate", new JsonObject { ["newMasterKey"] = newMaster });
        sealedAgain.ShouldBe(HttpStatusCode.OK);
        var fingerprint = sealedAgain.Object["masterKeyFingerprint"]!.GetValue<string>();
        var refused = await b.PostAsync("/api/admin/keys/rotate", new JsonObject());
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Contains(fingerprint, refused.Text, StringComparison.Ordinal);

        // A node started now with the new master key opens the stored keyring: both terms are in it, both values read.
        var c = Client((await StartNodesAsync(1, newMaster))[^1]);
        var keys = await c.GetAsync("/api/admin/keys");
        Assert.Equal([1, 2, 3], keys.Object["terms"]!.AsArray().Select(t => t!["term"]!.GetValue<int>()));
        Assert.Contains(valueA, (await c.GetAsync($"/api/secrets/{secretA}")).Text, StringComparison.Ordinal);
        Assert.Contains(valueB, (await c.GetAsync($"/api/secrets/{secretB}")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_reporting_on_another_node_has_its_echo_of_a_scripts_output_over_a_secret_masked_there()
    {
        var nodes = await StartNodesAsync(2);
        var (a, b) = (Client(nodes[0]), Client(nodes[1]));
        var value = "derive-on-a-" + Guid.NewGuid().ToString("N");
        var reversed = new string([.. value.Reverse()]); // a form the redactor cannot derive from the value itself
        var secret = await a.NewSecretAsync(value);
        var type = "derived_" + Guid.NewGuid().ToString("N")[..8];
        (await a.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = type, ["retryCount"] = 0 }))).ShouldBe(HttpStatusCode.OK);
        var name = "derived_" + Guid.NewGuid().ToString("N")[..8];
        await a.RegisterWorkflowAsync(Defs.Workflow(name,
            Defs.Inline("calc", "(function(){ return { reversed: $.key.split('').reverse().join('') }; })()", new JsonObject { ["key"] = $"${{workflow.secrets.{secret}}}" }),
            Defs.Simple(type, "work", new JsonObject { ["token"] = "${calc.output.result.reversed}" })));
        var id = await a.StartAsync(name); // A runs the script and owns the run

        var task = await b.PollTaskAsync(type);
        Assert.Equal(reversed, task["inputData"]!["token"]!.GetValue<string>());
        var taskId = task["taskId"]!.GetValue<string>();
        (await b.SendRawAsync(HttpMethod.Post, $"/api/tasks/{taskId}/log", $"working on {reversed}", "text/plain")).ShouldBe(HttpStatusCode.OK);
        await b.CompleteTaskAsync(task, new JsonObject { ["echo"] = reversed });

        var run = await a.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal("***", run["tasks"]![1]!["outputData"]!["echo"]!.GetValue<string>());
        foreach (var client in new[] { a, b })
        {
            Assert.DoesNotContain(reversed, (await client.GetAsync($"/api/workflow/{id}")).Text, StringComparison.Ordinal);
            Assert.DoesNotContain(reversed, (await client.GetAsync($"/api/tasks/{taskId}/log")).Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Password_guesses_spread_over_two_nodes_are_counted_together_and_throttled_on_both()
    {
        var nodes = await StartNodesAsync(2);
        var admin = nodes[0].AdminCredentials();
        var email = admin["email"]!.GetValue<string>();
        var wrong = new JsonObject { ["email"] = email.ToUpperInvariant(), ["password"] = "a guess" }; // the same identity in other case
        using var anonymousA = new BatonClient(nodes[0].BaseUrl);
        using var anonymousB = new BatonClient(nodes[1].BaseUrl);

        // Five failures in all (the threshold), none of the nodes seeing five itself.
        for (var i = 0; i < 5; i++) (await (i % 2 == 0 ? anonymousA : anonymousB).PostAsync("/api/token", wrong)).ShouldBe(HttpStatusCode.Unauthorized);

        foreach (var anonymous in new[] { anonymousA, anonymousB })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/token")
            {
                Content = new StringContent(admin.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            };
            using var throttled = await anonymous.Http.SendAsync(request); // even the right password waits, on either node
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        }

        // The wait passes; the right password then signs in and clears the count for the next guesses on any node.
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        (await anonymousB.PostAsync("/api/token", admin)).ShouldBe(HttpStatusCode.OK);
        (await anonymousA.PostAsync("/api/token", wrong)).ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymousA.PostAsync("/api/token", admin)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_ordinary_worker_on_another_node_gets_no_value_it_may_not_use_and_no_task_it_may_not_take()
    {
        var nodes = await StartNodesAsync(2);
        var admin = Client(nodes[0]);
        var value = "cluster-secret-" + Guid.NewGuid().ToString("N");
        var secret = await admin.NewSecretAsync(value);
        var type = Defs.Unique("cluster_secret_work");
        var otherType = Defs.Unique("cluster_other_work");
        (await admin.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = type, ["retryCount"] = 0 }, new JsonObject { ["name"] = otherType }))).ShouldBe(HttpStatusCode.OK);
        var name = Defs.Unique("cluster_secret");
        await admin.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(type, "work", new JsonObject { ["key"] = $"${{workflow.secrets.{secret}}}" })));
        var other = Defs.Unique("cluster_other");
        await admin.RegisterWorkflowAsync(Defs.Workflow(other, Defs.Simple(otherType, "other")));

        // A worker application that may work on one task type, and nothing else, made on node A and used on node B.
        var app = (await admin.PostAsync("/api/applications", new JsonObject { ["name"] = "cluster-worker" })).Object["id"]!.GetValue<string>();
        (await admin.PostAsync($"/api/applications/{app}/roles/WORKER")).ShouldBe(HttpStatusCode.OK);
        (await admin.PostAsync("/api/auth/authorization", Grant($"app:{app}", "TASK_DEF", type, "EXECUTE"))).ShouldBe(HttpStatusCode.OK);
        var key = (await admin.PostAsync($"/api/applications/{app}/accessKeys")).Object;
        JsonObject KeyCredentials() => new() { ["keyId"] = key["id"]!.DeepClone(), ["keySecret"] = key["secret"]!.DeepClone() };
        var worker = Client(nodes[1], KeyCredentials());

        var refusedId = await admin.StartAsync(name);
        var otherId = await admin.StartAsync(other);
        Assert.Equal(HttpStatusCode.Forbidden, (await worker.GetAsync($"/api/tasks/poll/{otherType}")).Status);
        // The worker polls on B, but may not use the secret: its poll answers nothing, and the task fails naming it.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        Reply polled;
        while (true)
        {
            polled = await worker.GetAsync($"/api/tasks/poll/{type}?workerid=w");
            Assert.DoesNotContain(value, polled.Text, StringComparison.Ordinal);
            if ((await admin.GetWorkflowAsync(refusedId))["status"]!.GetValue<string>() == "FAILED") break;
            Assert.True(DateTime.UtcNow < deadline, $"the worker's poll on B never took the task: {polled.Status} {polled.Text} {(await admin.GetWorkflowAsync(refusedId)).ToJsonString()}");
            await Task.Delay(100);
        }
        var refused = await admin.GetWorkflowAsync(refusedId);
        Assert.Contains($"may not use secret '{secret}'", refused["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);

        // Nor can it answer the other type's task, which it never polled, through either node.
        var otherTask = await admin.PollTaskAsync(otherType, "admin-worker");
        foreach (var node in nodes)
        {
            var forged = await Client(node, KeyCredentials()).PostAsync("/api/tasks", new JsonObject
            {
                ["workflowInstanceId"] = otherId,
                ["taskId"] = otherTask["taskId"]!.DeepClone(),
                ["status"] = "COMPLETED",
                ["outputData"] = new JsonObject { ["forged"] = true },
            });
            Assert.Equal(HttpStatusCode.Forbidden, forged.Status);
        }
        Assert.Equal("IN_PROGRESS", (await admin.GetWorkflowAsync(otherId))["tasks"]![0]!["status"]!.GetValue<string>());

        // Granted EXECUTE on the secret on node A, the worker on node B gets it in its poll answer, and what it echoes
        // is masked on both nodes.
        (await admin.PostAsync("/api/auth/authorization", Grant($"app:{app}", "SECRET_NAME", secret, "EXECUTE"))).ShouldBe(HttpStatusCode.OK);
        var allowedId = await admin.StartAsync(name);
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            polled = await worker.GetAsync($"/api/tasks/poll/{type}?workerid=w");
            if (polled.Status == HttpStatusCode.OK && polled.Text.Contains(value, StringComparison.Ordinal)) break;
            Assert.True(DateTime.UtcNow < deadline, $"the granted worker never got the value: {polled.Status}");
            await Task.Delay(100);
        }
        await worker.CompleteTaskAsync(polled.Object, new JsonObject { ["echo"] = $"saw {value}" });
        foreach (var node in nodes)
        {
            var reader = Client(node);
            var run = await reader.WaitForStatusAsync(allowedId, "COMPLETED");
            Assert.DoesNotContain(value, run.ToJsonString(), StringComparison.Ordinal);
            Assert.Equal("saw ***", run["tasks"]![0]!["outputData"]!["echo"]!.GetValue<string>());
        }
    }

    private static JsonObject Grant(string subject, string targetType, string targetId, string access) => new()
    {
        ["subject"] = new JsonObject { ["type"] = "USER", ["id"] = subject },
        ["target"] = new JsonObject { ["type"] = targetType, ["id"] = targetId },
        ["access"] = new JsonArray(access),
    };

    [Fact]
    public async Task Starts_with_one_idempotency_key_spread_over_three_nodes_make_one_run()
    {
        var nodes = await StartNodesAsync(3);
        var clients = nodes.Select(n => Client(n)).ToArray();
        var name = Defs.Unique("cluster_idem");
        await clients[0].RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(WorkType, "work")));

        // A client retrying its start on every node at once: with FAIL one start wins and the others are 409 naming it.
        var key = "key-" + Guid.NewGuid().ToString("N");
        var replies = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => clients[i % 3].PostAsync("/api/workflow",
            new JsonObject { ["name"] = name, ["idempotencyKey"] = key, ["idempotencyStrategy"] = "FAIL" })));
        var started = Assert.Single(replies, r => r.Status == HttpStatusCode.OK).Text;
        Assert.All(replies.Where(r => r.Status != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.Status);
            Assert.Contains(started, r.Text, StringComparison.Ordinal);
        });

        // With RETURN_EXISTING every node answers the one run.
        var other = "key-" + Guid.NewGuid().ToString("N");
        var ids = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            var reply = await clients[i % 3].PostAsync("/api/workflow", new JsonObject { ["name"] = name, ["idempotencyKey"] = other, ["idempotencyStrategy"] = "RETURN_EXISTING" });
            reply.ShouldBe(HttpStatusCode.OK);
            return reply.Text;
        }));
        Assert.Single(ids.Distinct());
    }

    [Fact]
    public async Task An_event_trigger_saved_on_one_node_fires_for_a_run_that_finishes_on_another()
    {
        var nodes = await StartNodesAsync(2);
        var a = Client(nodes[0]);
        var b = Client(nodes[1]);
        var watched = Defs.Unique("cluster_watched");
        var onRun = Defs.Unique("cluster_on_run");
        var noop = Defs.Parse("""{"name": "n", "taskReferenceName": "n", "type": "NOOP"}""");
        // B builds its trigger index before A saves the trigger: B must forget it when A tells it.
        await b.ExecuteAsync(Defs.Workflow(Defs.Unique("cluster_warm"), (JsonObject)noop.DeepClone()));
        (await a.PostAsync("/v1/workflows", new JsonObject
        {
            ["identifier"] = onRun,
            ["nodes"] = new JsonArray(
                new JsonObject
                {
                    ["identifier"] = "trigger",
                    ["config"] = new JsonObject
                    {
                        ["type"] = "EVENT_TRIGGER",
                        ["event"] = new JsonObject { ["type"] = "RUN_FINISHED" },
                        ["condition"] = new JsonObject { ["type"] = "JQ", ["expressions"] = new JsonArray($".workflowName == \"{watched}\""), ["combinator"] = "and" },
                    },
                },
                new JsonObject
                {
                    ["identifier"] = "tell",
                    ["config"] = new JsonObject { ["type"] = "WEBHOOK", ["url"] = $"{_peer.BaseUrl}/echo/{onRun}", ["body"] = new JsonObject { ["about"] = "{{ .outputs.trigger.workflowId }}" } },
                }),
            ["connections"] = new JsonArray(new JsonObject { ["sourceIdentifier"] = "trigger", ["targetIdentifier"] = "tell" }),
        })).ShouldBe(HttpStatusCode.Created);

        // The run finishes on B (its starter and owner); B hears of the trigger within about a second, so runs go on
        // finishing until one is told.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var ids = new List<string>();
        while (true)
        {
            var finished = await b.ExecuteAsync(Defs.Workflow(watched, (JsonObject)noop.DeepClone()));
            ids.Add(finished["workflowId"]!.GetValue<string>());
            for (var i = 0; i < 20 && !_peer.Requests.Any(r => r["path"]!.GetValue<string>() == $"/echo/{onRun}"); i++) await Task.Delay(50);
            if (_peer.Requests.FirstOrDefault(r => r["path"]!.GetValue<string>() == $"/echo/{onRun}") is { } told)
            {
                Assert.Contains(told["body"]!["about"]!.GetValue<string>(), ids);
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "node B never fired the trigger saved on node A");
        }
    }

    [Fact]
    public async Task Two_nodes_ride_out_PostgreSQL_going_away_for_longer_than_the_lease_and_their_runs_complete()
    {
        await using var postgres = await ThrowawayPostgres.StartAsync();
        string[] args = ["--Baton:Storage:Provider=postgres", $"--Baton:Storage:Postgres:ConnectionString={postgres.ConnectionString}",
            "--Baton:Storage:Postgres:NodeLeaseSeconds=2", $"--Baton:Secrets:MasterKey={_masterKey}"];
        _nodes.Add(await ServerProcess.StartAsync(args));
        _nodes.Add(await ServerProcess.StartAsync(args));
        var a = Client(_nodes[0]);
        var b = Client(_nodes[1]);
        var name = Defs.Unique("cluster_outage");
        await a.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(WorkType, "work"), Defs.Http("after", $"{_peer.BaseUrl}/echo/outage")));
        var onA = await a.StartAsync(name);
        var onB = await b.StartAsync(name);
        var first = await a.PollTaskAsync(WorkType, "w1");
        var second = await b.PollTaskAsync(WorkType, "w2");

        // Away three leases: no node may take the other for gone when it comes back, for neither could beat.
        await postgres.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(6));
        await postgres.StartAgainAsync();
        foreach (var client in new[] { a, b })
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await client.GetAsync("/health/ready")).Status != HttpStatusCode.OK)
            {
                Assert.True(DateTime.UtcNow < deadline, "a node never became ready again after PostgreSQL returned");
                await Task.Delay(200);
            }
        }

        // Each worker reports to the other node; both runs finish, each on its owner, and neither node left.
        await b.CompleteTaskAsync(first, new JsonObject { ["n"] = 1 });
        await a.CompleteTaskAsync(second, new JsonObject { ["n"] = 2 });
        foreach (var id in new[] { onA, onB })
        {
            var run = await a.WaitForStatusAsync(id, "COMPLETED");
            Assert.Equal("COMPLETED", run["tasks"]![1]!["status"]!.GetValue<string>());
        }
        Assert.DoesNotContain("was taken for gone", _nodes[0].Output + _nodes[1].Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_synchronous_execute_on_one_node_is_answered_when_a_worker_reports_on_another()
    {
        var nodes = await StartNodesAsync(2);
        var a = Client(nodes[0]);
        var b = Client(nodes[1]);
        var name = Defs.Unique("cluster_sync");
        await a.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(WorkType, "work")));

        var execute = a.PostAsync($"/api/workflow/execute/{name}/1?waitForSeconds=20", new JsonObject());
        var task = await b.PollTaskAsync(WorkType);
        await b.CompleteTaskAsync(task, new JsonObject { ["answer"] = "late" });

        var answer = await execute;
        answer.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("COMPLETED", answer.Object["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Three_nodes_lose_nothing_when_one_is_killed_with_300_workflows_in_flight()
    {
        const int runs = 300;
        var nodes = await StartNodesAsync(3);
        var clients = nodes.Select(n => Client(n)).ToArray();
        await RegisterWorkTypeAsync(clients[0]);
        var name = Defs.Unique("cluster_kill");
        await clients[0].RegisterWorkflowAsync(Chain(name, _peer.BaseUrl));

        // Started on every node in turn: each node owns a third of the runs.
        var ids = new string[runs];
        await Parallel.ForEachAsync(Enumerable.Range(0, runs), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            ids[i] = await clients[i % 3].StartAsync(name, new JsonObject { ["i"] = i }));

        var killed = -1;
        var answers = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(() => WorkAsync(w, clients, () => killed, answers, stop.Token))).ToArray();

        // Kill the second node while its runs are in flight: HTTP calls out, tasks polled and not yet reported.
        var firstQuarter = DateTime.UtcNow.AddSeconds(120);
        while (answers.Count < runs / 4)
        {
            Assert.True(DateTime.UtcNow < firstQuarter, $"only {answers.Count} worker answers in 120 s");
            await Task.Delay(20);
        }
        await nodes[1].KillAsync();
        killed = 1;
        // The kill came mid-run: some of the killed node's runs were not finished, so others must carry them on.
        var unfinished = 0;
        for (var i = 1; i < runs; i += 3)
        {
            if ((await clients[0].GetWorkflowAsync(ids[i]))["status"]!.GetValue<string>() == "RUNNING") unfinished++;
        }
        Assert.True(unfinished > 0, "the killed node had no run in flight: the test proves nothing");

        var deadline = DateTime.UtcNow.AddSeconds(180);
        var statuses = new Dictionary<string, JsonObject>();
        while (true)
        {
            statuses.Clear();
            foreach (var id in ids) statuses[id] = await clients[0].GetWorkflowAsync(id);
            if (statuses.Values.All(s => s["status"]!.GetValue<string>() == "COMPLETED")) break;
            Assert.True(DateTime.UtcNow < deadline,
                $"not every run completed: {string.Join(", ", statuses.Values.GroupBy(s => s["status"]!.GetValue<string>()).Select(g => $"{g.Key} {g.Count()}"))}");
            await Task.Delay(500);
        }
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Contains("took over", nodes[0].Output + nodes[2].Output, StringComparison.Ordinal);

        foreach (var (id, run) in statuses)
        {
            var tasks = run["tasks"]!.AsArray().Select(t => t!.AsObject()).ToList();
            // No task reference completed twice: each of the four has exactly one COMPLETED attempt.
            foreach (var reference in new[] { "fetch", "work", "shape", "report" })
            {
                Assert.Single(tasks, t => t["referenceTaskName"]!.GetValue<string>() == reference && t["status"]!.GetValue<string>() == "COMPLETED");
            }
            // The worker answer acknowledged for the attempt that completed is the one the run kept and used.
            var work = tasks.Single(t => t["referenceTaskName"]!.GetValue<string>() == "work" && t["status"]!.GetValue<string>() == "COMPLETED");
            var answer = work["outputData"]!["answer"]!.GetValue<string>();
            Assert.Equal(answers[work["taskId"]!.GetValue<string>()], answer);
            Assert.Equal(answer + "!", tasks.Single(t => t["referenceTaskName"]!.GetValue<string>() == "shape")["outputData"]!["result"]!.GetValue<string>());
        }
        // Every answer a node acknowledged is in its run (none was lost with the killed node).
        var kept = statuses.Values.SelectMany(r => r["tasks"]!.AsArray()).Where(t => t!["referenceTaskName"]!.GetValue<string>() == "work")
            .ToDictionary(t => t!["taskId"]!.GetValue<string>(), t => t!);
        foreach (var (taskId, answer) in answers)
        {
            Assert.True(kept.TryGetValue(taskId, out var task), $"task {taskId} was answered but is in no run");
            Assert.Equal("COMPLETED", task["status"]!.GetValue<string>());
            Assert.Equal(answer, task["outputData"]!["answer"]!.GetValue<string>());
        }
        // Each run's last HTTP call reached the peer (at least once: a call in flight on the killed node is made again).
        Assert.True(_peer.Requests.Count(r => r["path"]!.GetValue<string>() == "/echo/report") >= runs);
    }

    /// <summary>
    /// A worker: polls a node, answers each task on another (a node that does not answer is skipped, and the answer is
    /// sent again elsewhere), and notes each answer a node acknowledged.
    /// </summary>
    private static async Task WorkAsync(int worker, BatonClient[] clients, Func<int> killed, ConcurrentDictionary<string, string> answers, CancellationToken ct)
    {
        var turn = worker;
        BatonClient Next()
        {
            while (true)
            {
                var i = turn++ % clients.Length;
                if (i != killed()) return clients[i];
            }
        }
        while (!ct.IsCancellationRequested)
        {
            JsonArray polled;
            try
            {
                var reply = await Next().GetAsync($"/api/tasks/poll/batch/{WorkType}?workerid=w{worker}&count=5&timeout=200");
                if (reply.Status != HttpStatusCode.OK) continue;
                polled = reply.Array;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                continue; // The node is gone: poll another.
            }
            foreach (var task in polled)
            {
                var taskId = task!["taskId"]!.GetValue<string>();
                var answer = $"answer-{taskId}";
                var result = new JsonObject
                {
                    ["workflowInstanceId"] = task["workflowInstanceId"]!.GetValue<string>(),
                    ["taskId"] = taskId,
                    ["status"] = "COMPLETED",
                    ["outputData"] = new JsonObject { ["answer"] = answer },
                };
                while (!ct.IsCancellationRequested)
                {
                    try
                    {
                        var reply = await Next().PostAsync("/api/tasks", result.DeepClone());
                        if (reply.Status == HttpStatusCode.OK)
                        {
                            answers[taskId] = answer;
                            break;
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                    {
                        // The node is gone: send the same answer to another.
                    }
                }
            }
        }
    }
}
