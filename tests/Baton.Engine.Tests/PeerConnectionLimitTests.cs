using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tests;

public sealed class PeerConnectionLimitTests
{
    [Fact]
    public async Task A_peer_at_its_limit_makes_the_next_execution_wait_until_a_slot_is_given_back()
    {
        var limit = new PeerConnectionLimit(2);
        using var first = await limit.AcquireAsync("http://a:80", CancellationToken.None);
        var second = await limit.AcquireAsync("http://a:80", CancellationToken.None);
        var third = limit.AcquireAsync("http://a:80", CancellationToken.None).AsTask();

        Assert.False(third.IsCompleted);
        second.Dispose();
        using var got = await third.WaitAsync(TimeSpan.FromSeconds(10));
        second.Dispose(); // a second dispose gives nothing back twice
        var fourth = limit.AcquireAsync("http://a:80", CancellationToken.None).AsTask();
        Assert.False(fourth.IsCompleted);
        first.Dispose();
        (await fourth.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Fact]
    public async Task Peers_do_not_share_slots()
    {
        var limit = new PeerConnectionLimit(1);
        using var a = await limit.AcquireAsync(PeerConnectionLimit.PeerOf(new Uri("http://a/x")), CancellationToken.None);
        var b = limit.AcquireAsync(PeerConnectionLimit.PeerOf(new Uri("http://a:8080/x")), CancellationToken.None);
        var c = limit.AcquireAsync(PeerConnectionLimit.PeerOf(new Uri("https://a/x")), CancellationToken.None);
        var sameAsA = limit.AcquireAsync(PeerConnectionLimit.PeerOf(new Uri("HTTP://A:80/y")), CancellationToken.None);

        Assert.True(b.IsCompleted);
        Assert.True(c.IsCompleted);
        Assert.False(sameAsA.IsCompleted);
        (await b).Dispose();
        (await c).Dispose();
        a.Dispose();
        (await sameAsA.AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Fact]
    public async Task The_map_forgets_a_peer_once_no_execution_waits_on_or_holds_it_even_a_canceled_one()
    {
        var limit = new PeerConnectionLimit(1);
        var held = await limit.AcquireAsync("http://a:80", CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = limit.AcquireAsync("http://a:80", cancel.Token).AsTask();
        for (var i = 0; i < 100; i++) (await limit.AcquireAsync($"http://host{i}:80", CancellationToken.None)).Dispose();
        Assert.Equal(1, limit.Peers);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, limit.Peers);
        held.Dispose();
        Assert.Equal(0, limit.Peers);
    }
}
