using Baton.Testing;

namespace Baton.EndToEnd.Infrastructure;

/// <summary>One server process and one echo peer shared by the tests of a collection (each test uses its own names).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;
    public EchoPeer Peer { get; private set; } = null!;
    public BatonClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Peer = await EchoPeer.StartAsync();
        Server = await ServerProcess.StartAsync();
        Client = new BatonClient(Server);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        await Peer.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SharedServer : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
