using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// Issue 5 end to end: sign-in both ways, tokens, the run-time permission check on secrets (direct, tag, revoked),
/// EXECUTE versus READ, run visibility, paused keys, worker scope, and bad input to the access API.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class AccessTests(ServerFixture fixture) : IDisposable
{
    private readonly BatonClient _admin = fixture.Client;
    private readonly List<BatonClient> _clients = [];
    private readonly TrustModel.TrustUsers _users = new(fixture);

    public void Dispose()
    {
        foreach (var client in _clients) client.Dispose();
        _users.Dispose();
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /// <summary>A new user with <paramref name="roles"/>, and a client signed in as that user.</summary>
    private Task<(string Email, BatonClient Client)> NewUserAsync(params string[] roles) => _users.UserAsync(roles);

    private async Task GrantAsync(string subjectType, string subjectId, string targetType, string targetId, params string[] access) =>
        (await _admin.PostAsync("/api/auth/authorization", GrantBody(subjectType, subjectId, targetType, targetId, access))).ShouldBe(HttpStatusCode.OK);

    private static JsonObject GrantBody(string subjectType, string subjectId, string targetType, string targetId, params string[] access) => new()
    {
        ["subject"] = new JsonObject { ["type"] = subjectType, ["id"] = subjectId },
        ["target"] = new JsonObject { ["type"] = targetType, ["id"] = targetId },
        ["access"] = new JsonArray([.. access.Select(a => (JsonNode)a)]),
    };

    /// <summary>A workflow whose one HTTP task sends the secret as a bearer token to the peer, marked so the peer's log can be found.</summary>
    private async Task<string> SecretWorkflowAsync(string secret, string marker)
    {
        var name = Defs.Unique("wf_access");
        await _admin.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Http("call", $"{fixture.Peer.BaseUrl}/echo", headers: new JsonObject
        {
            ["Authorization"] = $"Bearer ${{workflow.secrets.{secret}}}",
            ["X-Marker"] = marker,
        })));
        return name;
    }

    private static async Task<JsonObject> RunAsync(BatonClient client, string workflow)
    {
        var reply = await client.PostAsync($"/api/workflow/execute/{workflow}/1", new JsonObject());
        reply.ShouldBe(HttpStatusCode.OK);
        return reply.Object;
    }

    private bool PeerSaw(string value) => fixture.Peer.Requests.Any(r => r.ToJsonString().Contains(value, StringComparison.Ordinal));

    // ---- sign-in and tokens ---------------------------------------------------------------------------------------

    [Fact]
    public async Task A_user_signs_in_with_a_password_and_an_application_with_an_access_key()
    {
        var (email, user) = await NewUserAsync("USER");
        var info = (await user.GetAsync("/api/token/userInfo")).Object;
        Assert.Equal(email, info["id"]!.GetValue<string>());
        Assert.False(info["applicationUser"]!.GetValue<bool>());
        Assert.Equal("USER", info["roles"]![0]!["name"]!.GetValue<string>());

        var app = (await _admin.PostAsync("/api/applications", new JsonObject { ["name"] = "ci" })).Object;
        var key = (await _admin.PostAsync($"/api/applications/{app["id"]}/accessKeys")).Object;
        Assert.DoesNotContain(key["secret"]!.GetValue<string>(), (await _admin.GetAsync($"/api/applications/{app["id"]}/accessKeys")).Text, StringComparison.Ordinal);
        using var worker = new BatonClient(fixture.Server.BaseUrl, new JsonObject { ["keyId"] = key["id"]!.DeepClone(), ["keySecret"] = key["secret"]!.DeepClone() });
        var appInfo = (await worker.GetAsync("/api/token/userInfo")).Object;
        Assert.Equal($"app:{app["id"]}", appInfo["id"]!.GetValue<string>());
        Assert.True(appInfo["applicationUser"]!.GetValue<bool>());

        // Authorization: Bearer works too.
        using var bearer = new BatonClient(fixture.Server.BaseUrl);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/token/userInfo");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", user.Token);
        Assert.Equal(HttpStatusCode.OK, (await bearer.Http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Missing_wrong_and_expired_tokens_are_401_with_the_error_the_sdks_refresh_on()
    {
        using var anonymous = new BatonClient(fixture.Server.BaseUrl);
        var none = await anonymous.GetAsync("/api/metadata/workflow");
        none.ShouldBe(HttpStatusCode.Unauthorized);
        Assert.Equal("INVALID_TOKEN", none.Object["error"]!.GetValue<string>());

        using var forged = new HttpRequestMessage(HttpMethod.Get, "/api/metadata/workflow");
        forged.Headers.Add("X-Authorization", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbkBiYXRvbi5sb2NhbCJ9.c2lnbmF0dXJl");
        var forgedReply = await anonymous.Http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, forgedReply.StatusCode);
        Assert.Contains("INVALID_TOKEN", await forgedReply.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var wrong = await anonymous.PostAsync("/api/token", new JsonObject { ["email"] = "nobody@example.test", ["password"] = "not the password" });
        wrong.ShouldBe(HttpStatusCode.Unauthorized);

        // A token asked to live 1 s expires; signing in again gives a working one (what the SDKs do).
        var credentials = fixture.Server.AdminCredentials();
        credentials["expiration"] = 1000;
        var shortLived = (await anonymous.PostAsync("/api/token", credentials)).Object["token"]!.GetValue<string>();
        using (var fresh = new HttpRequestMessage(HttpMethod.Get, "/api/token/userInfo"))
        {
            fresh.Headers.Add("X-Authorization", shortLived);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.SendAsync(fresh)).StatusCode);
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        using (var stale = new HttpRequestMessage(HttpMethod.Get, "/api/token/userInfo"))
        {
            stale.Headers.Add("X-Authorization", shortLived);
            var expired = await anonymous.Http.SendAsync(stale);
            Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
            Assert.Contains("EXPIRED_TOKEN", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        credentials.Remove("expiration");
        var renewed = (await anonymous.PostAsync("/api/token", credentials)).Object["token"]!.GetValue<string>();
        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/token/userInfo");
        again.Headers.Add("X-Authorization", renewed);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.SendAsync(again)).StatusCode);
    }

    [Fact]
    public async Task A_paused_key_is_refused_at_once_and_works_again_when_reactivated()
    {
        var app = (await _admin.PostAsync("/api/applications", new JsonObject { ["name"] = "paused" })).Object;
        var id = app["id"]!.GetValue<string>();
        var key = (await _admin.PostAsync($"/api/applications/{id}/accessKeys")).Object;
        var credentials = new JsonObject { ["keyId"] = key["id"]!.DeepClone(), ["keySecret"] = key["secret"]!.DeepClone() };
        using var worker = new BatonClient(fixture.Server.BaseUrl, credentials);
        (await worker.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);

        var paused = (await _admin.PostAsync($"/api/applications/{id}/accessKeys/{key["id"]}/status")).Object;
        Assert.Equal("INACTIVE", paused["status"]!.GetValue<string>());
        var refused = await worker.GetAsync("/api/token/userInfo"); // the same, unexpired token
        refused.ShouldBe(HttpStatusCode.Unauthorized);
        Assert.Equal("INVALID_TOKEN", refused.Object["error"]!.GetValue<string>());
        using var anonymous = new BatonClient(fixture.Server.BaseUrl);
        (await anonymous.PostAsync("/api/token", credentials)).ShouldBe(HttpStatusCode.Unauthorized);

        (await _admin.PostAsync($"/api/applications/{id}/accessKeys/{key["id"]}/status")).ShouldBe(HttpStatusCode.OK);
        (await worker.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);

        (await _admin.DeleteAsync($"/api/applications/{id}")).ShouldBe(HttpStatusCode.OK);
        (await worker.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.Unauthorized);
    }

    // ---- the check at run time ------------------------------------------------------------------------------------

    [Fact]
    public async Task A_run_whose_starter_may_not_use_the_secret_fails_with_the_reason_and_the_secret_is_never_sent()
    {
        var value = "deny-" + Guid.NewGuid().ToString("N");
        var secret = await _admin.NewSecretAsync(value);
        var workflow = await SecretWorkflowAsync(secret, Defs.Unique("m"));
        var (email, user) = await NewUserAsync("USER");
        await GrantAsync("USER", email, "WORKFLOW_DEF", workflow, "EXECUTE", "READ");

        var run = await RunAsync(user, workflow);
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        var reason = run["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>();
        Assert.Equal($"HTTP task 'call': permission denied: {email} may not use secret '{secret}'", reason);
        Assert.False(PeerSaw(value));

        var audit = (await _admin.GetAsync($"/api/audit?secret={secret}&action=resolve")).Array;
        // One refusal, one event (the hand-off is prepared ahead of the dispatch and then goes the full way).
        Assert.Single(audit, e => e!["outcome"]!.GetValue<string>() == "denied" && e["principal"]!.GetValue<string>() == email);

        // A direct EXECUTE grant on the secret lets the same user's next run through; revoking it stops the one after.
        await GrantAsync("USER", email, "SECRET_NAME", secret, "EXECUTE");
        Assert.Equal("COMPLETED", (await RunAsync(user, workflow))["status"]!.GetValue<string>());
        Assert.True(PeerSaw(value));
        (await _admin.SendAsync(HttpMethod.Delete, "/api/auth/authorization", GrantBody("USER", email, "SECRET_NAME", secret, "EXECUTE"))).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("FAILED", (await RunAsync(user, workflow))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_tag_grant_lets_a_run_use_the_secret_and_removing_the_tag_stops_it()
    {
        var value = "tagged-" + Guid.NewGuid().ToString("N");
        var secret = await _admin.NewSecretAsync(value);
        var workflow = await SecretWorkflowAsync(secret, Defs.Unique("m"));
        var (email, user) = await NewUserAsync("USER");
        var team = "team-" + Guid.NewGuid().ToString("N")[..8];
        await GrantAsync("USER", email, "WORKFLOW_DEF", workflow, "EXECUTE", "READ");
        await GrantAsync("USER", email, "TAG", $"team:{team}", "EXECUTE");

        Assert.Equal("FAILED", (await RunAsync(user, workflow))["status"]!.GetValue<string>());
        var tag = new JsonArray(new JsonObject { ["key"] = "team", ["value"] = team });
        (await _admin.PutAsync($"/api/secrets/{secret}/tags", tag)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("COMPLETED", (await RunAsync(user, workflow))["status"]!.GetValue<string>());
        Assert.True(PeerSaw(value));

        (await _admin.SendAsync(HttpMethod.Delete, $"/api/secrets/{secret}/tags", tag.DeepClone())).ShouldBe(HttpStatusCode.OK);
        var stopped = await RunAsync(user, workflow);
        Assert.Equal("FAILED", stopped["status"]!.GetValue<string>());
        Assert.Contains("permission denied", stopped["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_only_can_run_but_not_read_back_and_read_can_read_back()
    {
        var value = "exec-" + Guid.NewGuid().ToString("N");
        var secret = await _admin.NewSecretAsync(value);
        var workflow = await SecretWorkflowAsync(secret, Defs.Unique("m"));
        var (runner, runnerClient) = await NewUserAsync("USER");
        await GrantAsync("USER", runner, "WORKFLOW_DEF", workflow, "EXECUTE", "READ");
        await GrantAsync("USER", runner, "SECRET_NAME", secret, "EXECUTE");

        Assert.Equal("COMPLETED", (await RunAsync(runnerClient, workflow))["status"]!.GetValue<string>());
        var denied = await runnerClient.GetAsync($"/api/secrets/{secret}");
        denied.ShouldBe(HttpStatusCode.Forbidden);
        Assert.Contains($"READ on SECRET_NAME '{secret}'", denied.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(value, denied.Text, StringComparison.Ordinal);
        Assert.Contains(secret, (await runnerClient.GetAsync("/api/secrets?access=EXECUTE")).Text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, (await runnerClient.GetAsync("/api/secrets")).Text, StringComparison.Ordinal);

        var (reader, readerClient) = await NewUserAsync("USER");
        await GrantAsync("USER", reader, "SECRET_NAME", secret, "READ");
        var readBack = await readerClient.GetAsync($"/api/secrets/{secret}");
        readBack.ShouldBe(HttpStatusCode.OK);
        Assert.Equal(value, readBack.Text);
    }

    [Fact]
    public async Task AllowAnyoneToViewRuns_false_narrows_who_sees_runs_to_the_starter_admins_and_explicit_grants()
    {
        var open = Defs.Unique("wf_open");
        var closed = Defs.Unique("wf_closed");
        await _admin.RegisterWorkflowAsync(Defs.Workflow(open, Defs.Inline("x", "1")));
        var closedDef = Defs.Workflow(closed, Defs.Inline("x", "1"));
        closedDef["allowAnyoneToViewRuns"] = false;
        await _admin.RegisterWorkflowAsync(closedDef);
        var openRun = (await RunAsync(_admin, open))["workflowId"]!.GetValue<string>();
        var closedRun = (await RunAsync(_admin, closed))["workflowId"]!.GetValue<string>();

        var (viewer, viewerClient) = await NewUserAsync("READ_ONLY_USER");
        (await viewerClient.GetAsync($"/api/workflow/{openRun}")).ShouldBe(HttpStatusCode.OK);
        (await viewerClient.GetAsync($"/api/workflow/{closedRun}")).ShouldBe(HttpStatusCode.Forbidden);
        (await viewerClient.GetAsync($"/api/workflow/{closedRun}/secrets")).ShouldBe(HttpStatusCode.Forbidden);
        var search = (await viewerClient.GetAsync($"/api/workflow/search?freeText=*&size=1000")).Text;
        Assert.Contains(openRun, search, StringComparison.Ordinal);
        Assert.DoesNotContain(closedRun, search, StringComparison.Ordinal);

        await GrantAsync("USER", viewer, "WORKFLOW_DEF", closed, "READ");
        (await viewerClient.GetAsync($"/api/workflow/{closedRun}")).ShouldBe(HttpStatusCode.OK);
        Assert.Contains(closedRun, (await viewerClient.GetAsync($"/api/workflow/search?freeText=*&size=1000")).Text, StringComparison.Ordinal);

        // The starter always sees its own run, even of a closed definition.
        var (starter, starterClient) = await NewUserAsync("USER");
        await GrantAsync("USER", starter, "WORKFLOW_DEF", closed, "EXECUTE");
        var own = (await RunAsync(starterClient, closed))["workflowId"]!.GetValue<string>();
        (await starterClient.GetAsync($"/api/workflow/{own}")).ShouldBe(HttpStatusCode.OK);
        (await starterClient.GetAsync($"/api/workflow/{closedRun}")).ShouldBe(HttpStatusCode.Forbidden);
        var mine = (await starterClient.GetAsync("/api/workflow/search?freeText=*&size=1000")).Text;
        Assert.Contains(own, mine, StringComparison.Ordinal);
        Assert.DoesNotContain(closedRun, mine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_needs_execute_and_a_worker_polls_only_the_task_types_it_may_execute()
    {
        var workflow = Defs.Unique("wf_exec");
        var allowedType = Defs.Unique("t_allowed");
        var otherType = Defs.Unique("t_other");
        await _admin.RegisterWorkflowAsync(Defs.Workflow(workflow, Defs.Simple(allowedType)));
        var (email, user) = await NewUserAsync("USER");
        var refused = await user.PostAsync($"/api/workflow/execute/{workflow}/1", new JsonObject());
        refused.ShouldBe(HttpStatusCode.Forbidden);
        Assert.Contains($"EXECUTE on WORKFLOW_DEF '{workflow}'", refused.Text, StringComparison.Ordinal);

        var app = (await _admin.PostAsync("/api/applications", new JsonObject { ["name"] = "worker" })).Object["id"]!.GetValue<string>();
        (await _admin.PostAsync($"/api/applications/{app}/roles/WORKER")).ShouldBe(HttpStatusCode.OK);
        (await _admin.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = allowedType }, new JsonObject { ["name"] = otherType }))).ShouldBe(HttpStatusCode.OK);
        await GrantAsync("USER", $"app:{app}", "TASK_DEF", allowedType, "EXECUTE");
        var key = (await _admin.PostAsync($"/api/applications/{app}/accessKeys")).Object;
        using var worker = new BatonClient(fixture.Server.BaseUrl, new JsonObject { ["keyId"] = key["id"]!.DeepClone(), ["keySecret"] = key["secret"]!.DeepClone() });

        var id = await _admin.StartAsync(workflow);
        (await worker.GetAsync($"/api/tasks/poll/{otherType}")).ShouldBe(HttpStatusCode.Forbidden);
        var task = await worker.PollTaskAsync(allowedType);
        await worker.CompleteTaskAsync(task);
        await _admin.WaitForStatusAsync(id, "COMPLETED");
        Assert.NotNull(email);
    }

    [Fact]
    public async Task Queue_sizes_show_only_the_task_types_the_caller_may_read_or_work_on()
    {
        var (mine, theirs) = (Defs.Unique("t_mine"), Defs.Unique("t_theirs"));
        (await _admin.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = mine }, new JsonObject { ["name"] = theirs }))).ShouldBe(HttpStatusCode.OK);
        foreach (var type in new[] { mine, theirs })
        {
            var workflow = Defs.Unique("wf_queue");
            await _admin.RegisterWorkflowAsync(Defs.Workflow(workflow, Defs.Simple(type)));
            await _admin.StartAsync(workflow);
        }
        var app = (await _admin.PostAsync("/api/applications", new JsonObject { ["name"] = "queue-watcher" })).Object["id"]!.GetValue<string>();
        await GrantAsync("USER", $"app:{app}", "TASK_DEF", mine, "EXECUTE");
        var key = (await _admin.PostAsync($"/api/applications/{app}/accessKeys")).Object;
        using var worker = new BatonClient(fixture.Server.BaseUrl, new JsonObject { ["keyId"] = key["id"]!.DeepClone(), ["keySecret"] = key["secret"]!.DeepClone() });

        var all = (await worker.GetAsync("/api/tasks/queue/all")).Object;
        var asked = (await worker.GetAsync($"/api/tasks/queue/sizes?taskType={mine}&taskType={theirs}")).Object;
        var adminAll = (await _admin.GetAsync("/api/tasks/queue/all")).Object;

        Assert.Equal(1, all[mine]!.GetValue<int>());
        Assert.False(all.ContainsKey(theirs));
        Assert.Equal(1, asked[mine]!.GetValue<int>());
        Assert.False(asked.ContainsKey(theirs));
        Assert.Equal(1, adminAll[theirs]!.GetValue<int>());
        (await worker.GetAsync($"/api/tasks/queue/polldata?taskType={theirs}")).ShouldBe(HttpStatusCode.Forbidden);
    }

    // ---- bad input ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Bad_access_requests_get_a_clear_4xx_and_nothing_is_half_applied()
    {
        var badGrant = await _admin.PostAsync("/api/auth/authorization", new JsonObject
        {
            ["subject"] = new JsonObject { ["type"] = "USER" },
            ["target"] = new JsonObject { ["type"] = "NOT_A_TYPE", ["id"] = "x" },
            ["access"] = new JsonArray("READ", "FLY"),
        });
        badGrant.ShouldBe(HttpStatusCode.BadRequest);
        var paths = badGrant.Object["validationErrors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();
        Assert.Contains("$.subject.type", paths);
        Assert.Contains("$.target.type", paths);
        Assert.Contains("$.access[1]", paths);

        (await _admin.PostAsync("/api/auth/authorization", GrantBody("USER", "ghost@example.test", "TAG", "a:b", "READ"))).ShouldBe(HttpStatusCode.NotFound);
        (await _admin.PostAsync("/api/auth/authorization", GrantBody("USER", fixture.Server.AdminCredentials()["email"]!.GetValue<string>(), "SECRET_NAME", "no-such-secret", "READ"))).ShouldBe(HttpStatusCode.NotFound);

        var email = $"{Guid.NewGuid().ToString("N")[..10]}@example.test";
        var badUser = await _admin.PutAsync($"/api/users/{email}", new JsonObject { ["roles"] = new JsonArray("USER", "EMPEROR"), ["password"] = "short" });
        badUser.ShouldBe(HttpStatusCode.BadRequest);
        var userPaths = badUser.Object["validationErrors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();
        Assert.Contains("$.roles[1]", userPaths);
        Assert.Contains("$.password", userPaths);
        (await _admin.GetAsync($"/api/users/{email}")).ShouldBe(HttpStatusCode.NotFound); // nothing half-written

        (await _admin.PutAsync("/api/users/not-an-email", new JsonObject { ["roles"] = new JsonArray("USER") })).ShouldBe(HttpStatusCode.BadRequest);
        (await _admin.PostAsync("/api/applications/no-such-app/roles/WORKER")).ShouldBe(HttpStatusCode.NotFound);
        (await _admin.PostAsync("/api/applications", new JsonObject { ["name"] = "" })).ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_403_names_the_missing_access()
    {
        var (_, user) = await NewUserAsync("READ_ONLY_USER");
        var reply = await user.PutAsync("/api/users/someone@example.test", new JsonObject { ["roles"] = new JsonArray("ADMIN") });
        reply.ShouldBe(HttpStatusCode.Forbidden);
        Assert.Contains("needs the role ADMIN", reply.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", reply.Text, StringComparison.Ordinal);
    }
}
