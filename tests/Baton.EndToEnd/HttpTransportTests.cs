using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// HTTP tasks and transport faults (issue 14): a request that provably never reached the peer, or an idempotent one
/// whose connection ended before any response, is sent again on a fresh connection before the task fails; a POST that
/// may have reached the peer is not; every failure says which fault it was. And a close-delimited HTTP/1.0 peer that
/// closes every connection serves a burst of runs without one failing.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class HttpTransportTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    private async Task<JsonObject> RunAsync(string uri, string method)
    {
        var def = Defs.Workflow(Defs.Unique("transport"), Defs.Http("call", uri, method, body: method == "GET" ? null : new JsonObject { ["x"] = 1 }));
        return await _client.ExecuteAsync(def);
    }

    [Fact]
    public async Task A_get_whose_first_connections_are_reset_is_sent_again_on_a_fresh_connection_and_completes()
    {
        await using var peer = ClosingPeer.Start(resetFirst: 2);
        var run = await RunAsync($"{peer.BaseUrl}/reset-twice", "GET");
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal(3, peer.Connections);
    }

    [Fact]
    public async Task A_post_whose_connection_is_reset_before_an_answer_is_not_sent_again_and_the_reason_says_why()
    {
        await using var peer = ClosingPeer.Start(resetFirst: 1000);
        var run = await RunAsync($"{peer.BaseUrl}/reset", "POST");
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        var reason = run["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>();
        Assert.Contains("POST is not idempotent, so it was not sent again", reason, StringComparison.Ordinal);
        Assert.True(reason.Contains("reset before a response", StringComparison.Ordinal) || reason.Contains("ResponseEnded", StringComparison.Ordinal), reason);
        Assert.Equal(1, peer.Connections);
    }

    [Fact]
    public async Task A_refused_connection_never_reached_the_peer_so_even_a_post_is_tried_again_and_the_reason_says_so()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var run = await RunAsync($"http://127.0.0.1:{port}/nobody", "POST");
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Contains("the connection was refused (never reached the peer), sent 3 times", run["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_burst_of_runs_against_a_close_delimited_http10_peer_all_complete()
    {
        // An accept backlog far below the burst (16 for 200 runs). Were all 200 connections opened at once, the peer's
        // kernel would drop handshakes and requests past its queues and let them through seconds later, after the
        // timeouts; the HTTP task keeps at most HttpMaxConnectionsPerPeer executions in flight to one peer.
        await using var peer = ClosingPeer.Start(backlog: 16);
        var def = Defs.Workflow(Defs.Unique("http10"), Defs.Http("call", $"{peer.BaseUrl}/burst", "POST", body: new JsonObject { ["x"] = 1 }));
        await _client.RegisterWorkflowAsync(def);
        var ids = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => _client.StartAsync(def["name"]!.GetValue<string>())));
        var runs = await Task.WhenAll(ids.Select(id => _client.WaitForStatusAsync(id, "COMPLETED", "FAILED")));
        var failed = runs.Where(r => r["status"]!.GetValue<string>() != "COMPLETED").Select(r => r["reasonForIncompletion"]?.GetValue<string>()).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {runs.Length} runs failed: {string.Join(" | ", failed.Distinct())}");
        Assert.InRange(peer.MaxOpen, 1, new Baton.Engine.EngineOptions().HttpMaxConnectionsPerPeer);
    }
}
