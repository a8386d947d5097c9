using Xunit;

namespace Baton.Testing;

/// <summary>
/// A test class whose tests each get a server process of their own (to kill, restart or start with other keys)
/// and a peer, both torn down after the test.
/// </summary>
public abstract class OwnServerTests : IAsyncLifetime
{
    protected EchoPeer Peer { get; private set; } = null!;
    protected ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Peer = await EchoPeer.StartAsync();
        Server = await ServerProcess.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Peer.DisposeAsync();
    }
}
