using Baton.Access.Store;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task Sign_in_failures_are_counted_per_key_within_the_window_asked_about_and_survive_a_reopen()
    {
        await SignInFailures.RecordAsync(["alice", "10.0.0.1"], at: 1_000, forgetUpTo: 0);
        await SignInFailures.RecordAsync(["alice", "10.0.0.2"], at: 2_000, forgetUpTo: 0);
        await SignInFailures.RecordAsync(["bob", "10.0.0.1"], at: 3_000, forgetUpTo: 0);
        await ReopenStoresAsync();

        var all = await SignInFailures.CountAsync(["alice", "10.0.0.1", "10.0.0.2", "carol"], since: 0);
        Assert.Equal(
            [new SignInFailures("10.0.0.1", 2, 3_000), new SignInFailures("10.0.0.2", 1, 2_000), new SignInFailures("alice", 2, 2_000)],
            all.OrderBy(f => f.Key, StringComparer.Ordinal));
        // Only failures after the window's start count; the last one is the latest of those.
        Assert.Equal([new SignInFailures("alice", 1, 2_000)], await SignInFailures.CountAsync(["alice"], since: 1_000));
        Assert.Empty(await SignInFailures.CountAsync(["alice", "bob"], since: 3_000));
    }

    [Fact]
    public async Task Recording_a_failure_forgets_every_key_failure_from_before_the_window()
    {
        await SignInFailures.RecordAsync(["alice"], at: 1_000, forgetUpTo: 0);
        await SignInFailures.RecordAsync(["bob"], at: 2_000, forgetUpTo: 0);
        await SignInFailures.RecordAsync(["carol"], at: 5_000, forgetUpTo: 2_000);

        // Forgotten, not just outside a window: a count from the beginning of time no longer finds them.
        Assert.Equal([new SignInFailures("carol", 1, 5_000)], await SignInFailures.CountAsync(["alice", "bob", "carol"], since: 0));
    }

    [Fact]
    public async Task Forgetting_a_key_after_its_sign_in_succeeded_leaves_the_other_keys_counted()
    {
        await SignInFailures.RecordAsync(["alice", "10.0.0.1"], at: 1_000, forgetUpTo: 0);
        await SignInFailures.RecordAsync(["alice", "10.0.0.1"], at: 1_500, forgetUpTo: 0);

        await SignInFailures.ForgetAsync("alice");
        await ReopenStoresAsync();

        Assert.Equal([new SignInFailures("10.0.0.1", 2, 1_500)], await SignInFailures.CountAsync(["alice", "10.0.0.1"], since: 0));
    }

    [Fact]
    public async Task Failures_recorded_at_once_from_many_callers_are_all_counted()
    {
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => SignInFailures.RecordAsync(["alice"], at: 10_000 + i, forgetUpTo: 0))));

        Assert.Equal([new SignInFailures("alice", 40, 10_039)], await SignInFailures.CountAsync(["alice"], since: 0));
    }
}
