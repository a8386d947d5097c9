using Baton.Secrets.Store;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task A_recorded_secret_use_reads_back_as_a_manifest_entry()
    {
        await Manifests.RecordAsync("wf-1", "db_password", 3, "fp-3", "charge_ref", Samples.T0);

        var entry = Assert.Single(await Manifests.GetAsync("wf-1"));

        Assert.Equal(("db_password", 3, "fp-3", Samples.T0), (entry.Secret, entry.Version, entry.Fingerprint, entry.FirstUsedAt));
        Assert.Equal(["charge_ref"], entry.TaskReferenceNames);
    }

    [Fact]
    public async Task A_run_without_recorded_uses_has_an_empty_manifest()
    {
        await Manifests.RecordAsync("wf-1", "db_password", 1, "fp", "charge_ref", Samples.T0);

        Assert.Empty(await Manifests.GetAsync("wf-2"));
    }

    [Fact]
    public async Task The_same_task_using_a_secret_twice_is_listed_once_and_the_first_use_is_kept()
    {
        await Manifests.RecordAsync("wf-1", "db_password", 1, "fp", "charge_ref", Samples.T0);
        await Manifests.RecordAsync("wf-1", "db_password", 1, "fp", "charge_ref", Samples.T0 + 5);

        var entry = Assert.Single(await Manifests.GetAsync("wf-1"));

        Assert.Equal(["charge_ref"], entry.TaskReferenceNames);
        Assert.Equal(Samples.T0, entry.FirstUsedAt);
    }

    [Fact]
    public async Task Two_tasks_using_one_secret_version_share_an_entry_in_first_use_order()
    {
        await Manifests.RecordAsync("wf-1", "db_password", 1, "fp", "zeta_ref", Samples.T0);
        await Manifests.RecordAsync("wf-1", "db_password", 1, "fp", "alpha_ref", Samples.T0 + 1);
        await Manifests.RecordAsync("wf-1", "db_password", 1, "fp", "zeta_ref", Samples.T0 + 2);

        var entry = Assert.Single(await Manifests.GetAsync("wf-1"));

        Assert.Equal(["zeta_ref", "alpha_ref"], entry.TaskReferenceNames);
        Assert.Equal(Samples.T0, entry.FirstUsedAt);
    }

    [Fact]
    public async Task Two_versions_of_a_secret_used_by_one_run_are_two_entries()
    {
        await Manifests.RecordAsync("wf-1", "db_password", 1, "fp-1", "first_ref", Samples.T0);
        await Manifests.RecordAsync("wf-1", "db_password", 2, "fp-2", "second_ref", Samples.T0 + 1);
        await Manifests.RecordAsync("wf-1", "api_key", 7, "fp-7", "second_ref", Samples.T0 + 2);

        var entries = await Manifests.GetAsync("wf-1");

        Assert.Equal(
            [("db_password", 1, "fp-1", "first_ref"), ("db_password", 2, "fp-2", "second_ref"), ("api_key", 7, "fp-7", "second_ref")],
            entries.Select(e => (e.Secret, e.Version, e.Fingerprint, Assert.Single(e.TaskReferenceNames))));
    }

    [Fact]
    public async Task Clearing_a_run_manifest_forgets_only_that_run_and_a_later_use_starts_afresh()
    {
        await Manifests.RecordAsync("wf-1", "db_password", 1, "fp", "a_ref", Samples.T0);
        await Manifests.RecordAsync("wf-1", "db_password", 1, "fp", "b_ref", Samples.T0 + 1);
        await Manifests.RecordAsync("wf-2", "db_password", 1, "fp", "a_ref", Samples.T0);

        await Manifests.ClearAsync("wf-1");

        Assert.Empty(await Manifests.GetAsync("wf-1"));
        Assert.Single(await Manifests.GetAsync("wf-2"));
        await Manifests.RecordAsync("wf-1", "db_password", 2, "fp-2", "b_ref", Samples.T0 + 9);
        var entry = Assert.Single(await Manifests.GetAsync("wf-1"));
        Assert.Equal((2, Samples.T0 + 9), (entry.Version, entry.FirstUsedAt));
        Assert.Equal(["b_ref"], entry.TaskReferenceNames);
    }

    [Fact]
    public async Task Concurrent_uses_by_many_tasks_are_each_recorded_once()
    {
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            Task.Run(() => Manifests.RecordAsync("wf-1", "db_password", 1, "fp", $"t{i % 25:D2}_ref", Samples.T0 + i))));

        var entry = Assert.Single(await Manifests.GetAsync("wf-1"));

        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"t{i:D2}_ref"), entry.TaskReferenceNames.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Every_acknowledged_manifest_entry_is_still_there_after_the_store_is_reopened()
    {
        await Manifests.RecordAsync("wf-1", "db_password", 1, "fp-1", "a_ref", Samples.T0);
        await Manifests.RecordAsync("wf-1", "db_password", 1, "fp-1", "b_ref", Samples.T0 + 1);
        await Manifests.RecordAsync("wf-1", "api_key", 2, "fp-2", "b_ref", Samples.T0 + 2);
        var before = Snapshot.Of(await Manifests.GetAsync("wf-1"));

        await ReopenStoresAsync();

        Assert.Equal(before, Snapshot.Of(await Manifests.GetAsync("wf-1")));
        Assert.Equal(2, (await Manifests.GetAsync("wf-1")).Count);
    }
}
