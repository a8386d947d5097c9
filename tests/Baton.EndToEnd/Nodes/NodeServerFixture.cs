using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Testing;

namespace Baton.EndToEnd.Nodes;

/// <summary>
/// A server of their own for the node workflow tests, publishing to a broker of their own (the seed's examples name their secrets as written, MY_API_TOKEN
/// and so on, which a shared server's other tests must not meet), an echo peer, and helpers to save and run.
/// </summary>
public sealed class NodeServerFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;
    public EchoPeer Peer { get; private set; } = null!;
    public BatonClient Admin { get; private set; } = null!;

    /// <summary>A Kafka-protocol broker the server publishes to (librdkafka's mock cluster).</summary>
    public MockKafka Kafka { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Peer = await EchoPeer.StartAsync();
        Kafka = MockKafka.Start();
        Server = await ServerProcess.StartAsync($"--Baton:Kafka:BootstrapServers={Kafka.BootstrapServers}", "--Baton:Kafka:MessageTimeoutMs=10000");
        Admin = new BatonClient(Server);
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Server.DisposeAsync();
        await Peer.DisposeAsync();
        Kafka.Dispose();
    }

    /// <summary>Saves a node workflow as <paramref name="client"/> (POST /v1/workflows).</summary>
    public static async Task SaveAsync(BatonClient client, JsonObject workflow) =>
        (await client.PostAsync("/v1/workflows", workflow)).ShouldBe(HttpStatusCode.Created);

    /// <summary>Runs a node workflow from its self-service trigger and answers the run once it ended (Port's shape).</summary>
    public static async Task<JsonObject> RunAsync(BatonClient client, string identifier, JsonObject? inputs = null)
    {
        var reply = await client.PostAsync($"/v1/workflows/{identifier}/runs?waitForSeconds=30", new JsonObject { ["inputs"] = inputs ?? new JsonObject() });
        reply.ShouldBe(HttpStatusCode.Created);
        return reply.Object["run"]!.AsObject();
    }

    /// <summary>The request the peer received whose JSON body holds <paramref name="marker"/> anywhere.</summary>
    public JsonObject Received(string marker) =>
        Peer.Requests.LastOrDefault(r => r.ToJsonString().Contains(marker, StringComparison.Ordinal))
        ?? throw new Xunit.Sdk.XunitException($"the peer received no request holding {marker}");

    /// <summary>Every file the server wrote under its data folder that holds <paramref name="value"/> as UTF-8 or base64.</summary>
    public IReadOnlyList<string> FilesHolding(string value)
    {
        var forms = new[] { Encoding.UTF8.GetBytes(value), Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(value))) };
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Server.DataDir, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                bytes = copy.ToArray();
            }
            catch (IOException)
            {
                continue;
            }
            if (forms.Any(form => bytes.AsSpan().IndexOf(form) >= 0)) found.Add(Path.GetFileName(file));
        }
        return found;
    }
}

[CollectionDefinition(Name)]
public sealed class NodeServer : ICollectionFixture<NodeServerFixture>
{
    public const string Name = "node server";
}
