using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;
using Microsoft.Data.Sqlite;

namespace Baton.EndToEnd.TrustModel;

/// <summary>
/// Issue 13 findings 7 and 10: the forms Baton itself gives a value (a host lower-cased by the URI, a body cut at the
/// size limit, a queue name, an environment value) never reach storage in clear. Each test acts as an ordinary USER
/// who owns the secret, and reads the database file itself, not only the (redacted) API.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class RedactorFormsTests(ServerFixture fixture) : IDisposable
{
    /// <summary>The HTTP task's default cut (<c>Baton:Engine:HttpMaxResponseBytes</c>).</summary>
    private const int ResponseCut = 1024 * 1024;

    private readonly BatonClient _admin = fixture.Client;
    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    [Fact]
    public async Task A_secret_used_as_a_host_leaves_no_form_of_itself_in_the_stored_failure_reason()
    {
        var user = await NewUserAsync("USER");
        var value = $"NoSuchHost-{RandomHex(20)}.Invalid";
        var secret = await NewSecretAsync(user, value);
        var name = Defs.Unique("wf_host");
        await user.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Http("call", $"http://${{workflow.secrets.{secret}}}:1/x")));

        var id = await user.StartAsync(name);
        var run = await user.WaitForStatusAsync(id, "FAILED");

        var reason = run["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>();
        Assert.Contains("***", reason, StringComparison.Ordinal);
        Assert.DoesNotContain(value, run.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await RowsHoldingAsync(value, "SELECT json FROM tasks WHERE workflow_id = $id", id));
        Assert.Empty(await RowsHoldingAsync(value, "SELECT json FROM workflows WHERE workflow_id = $id", id));
    }

    [Fact]
    public async Task A_value_that_the_response_size_cut_goes_through_is_masked_not_left_half_visible()
    {
        var user = await NewUserAsync("USER");
        var value = $"V{RandomHex(30)}";
        var secret = await NewSecretAsync(user, value);
        var name = Defs.Unique("wf_cut");
        await user.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Http("call", $"{fixture.Peer.BaseUrl}/straddle/{ResponseCut}/12",
            headers: new JsonObject { ["X-Value"] = $"${{workflow.secrets.{secret}}}" })));

        var id = await user.StartAsync(name);
        var run = await user.WaitForStatusAsync(id, "COMPLETED", "FAILED");

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var body = run["tasks"]![0]!["outputData"]!["response"]!["body"]!.GetValue<string>();
        Assert.True(body.Length <= ResponseCut, $"the body kept {body.Length} characters");
        Assert.StartsWith(new string('x', ResponseCut - 12) + "***", body, StringComparison.Ordinal);
        Assert.DoesNotContain(value[..4], body, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await RowsHoldingAsync(value[..4], "SELECT json FROM tasks WHERE workflow_id = $id", id));
    }

    [Fact]
    public async Task A_poll_whose_task_type_domain_or_worker_id_is_a_secret_value_stores_no_value()
    {
        var user = await NewUserAsync("USER");
        var value = $"queue{RandomHex(24)}";
        await NewSecretAsync(user, value);
        var worker = await NewUnrestrictedWorkerAsync();
        var control = Defs.Unique("t_control");

        (await worker.GetAsync($"/api/tasks/poll/{value}?workerid=w1&timeout=0")).ShouldBe(HttpStatusCode.NoContent);
        (await worker.GetAsync($"/api/tasks/poll/{control}?workerid=w2&domain={value}&timeout=0")).ShouldBe(HttpStatusCode.NoContent);
        (await worker.GetAsync($"/api/tasks/poll/{control}?workerid={value}&timeout=0")).ShouldBe(HttpStatusCode.NoContent);

        // Poll data is written in the order of the polls, so once the last one is stored the others are too.
        await WaitForPollDataAsync(worker, control);
        Assert.Empty(await RowsHoldingAsync(value, "SELECT queue_name || ' ' || domain || ' ' || json FROM poll_data"));
    }

    [Fact]
    public async Task An_environment_value_that_holds_a_secret_value_is_refused_naming_the_secret_and_the_reference()
    {
        var user = await NewUserAsync("USER");
        var value = $"env-{RandomHex(24)}";
        var secret = await NewSecretAsync(user, value);
        var equal = Defs.Unique("env").Replace('_', '-');
        var containing = Defs.Unique("env").Replace('_', '-');

        var refused = await user.SendRawAsync(HttpMethod.Put, $"/api/environment/{equal}", value, "text/plain");
        var refusedToo = await user.SendRawAsync(HttpMethod.Put, $"/api/environment/{containing}", $$"""{"url":"jdbc:pg://db?password={{value}}"}""", "text/plain");

        foreach (var reply in new[] { refused, refusedToo })
        {
            reply.ShouldBe(HttpStatusCode.BadRequest);
            Assert.Contains($"secret '{secret}'", reply.Text, StringComparison.Ordinal);
            Assert.Contains($"${{workflow.secrets.{secret}}}", reply.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(value, reply.Text, StringComparison.OrdinalIgnoreCase);
        }
        (await _admin.GetAsync($"/api/environment/{equal}")).ShouldBe(HttpStatusCode.NotFound);
        (await _admin.GetAsync($"/api/environment/{containing}")).ShouldBe(HttpStatusCode.NotFound);
        Assert.Empty(await RowsHoldingAsync(value, "SELECT name || ' ' || value FROM environment_values"));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static string RandomHex(int length) => Convert.ToHexString(Guid.NewGuid().ToByteArray())[..length];

    /// <summary>A new user with <paramref name="roles"/>, signed in.</summary>
    private async Task<BatonClient> NewUserAsync(params string[] roles) => (await _users.UserAsync(roles)).Client;

    /// <summary>An application that may poll every task type (UNRESTRICTED_WORKER), signed in with an access key.</summary>
    private async Task<BatonClient> NewUnrestrictedWorkerAsync() => (await _users.ApplicationAsync("UNRESTRICTED_WORKER")).Client;

    private static async Task<string> NewSecretAsync(BatonClient owner, string value)
    {
        var secret = Defs.Unique("forms").Replace('_', '-');
        await owner.PutSecretAsync(secret, value);
        return secret;
    }

    /// <summary>Waits (bounded) until the poll of <paramref name="taskType"/> without a domain is stored.</summary>
    private static async Task WaitForPollDataAsync(BatonClient client, string taskType)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var reply = await client.GetAsync($"/api/tasks/queue/polldata?taskType={taskType}");
            reply.ShouldBe(HttpStatusCode.OK);
            if (reply.Array.Any(p => p?["domain"] is null)) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"the poll of {taskType} was not stored");
    }

    /// <summary>The rows the query reads from the database file that hold <paramref name="value"/> in any case.</summary>
    private async Task<List<string>> RowsHoldingAsync(string value, string query, string? id = null)
    {
        var file = Path.Combine(fixture.Server.DataDir, "baton.db");
        var rows = new List<string>();
        await using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = query;
        if (id is not null) command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var text = reader.GetString(0);
            if (text.Contains(value, StringComparison.OrdinalIgnoreCase)) rows.Add(text.Length > 300 ? text[..300] : text);
        }
        return rows;
    }
}
