using Baton.Secrets.Audit;

namespace Baton.Storage.Compliance;

/// <summary>The run manifest: what the run's resolutions in the audit log name, since its latest reset.</summary>
public abstract partial class StorageComplianceSuite
{
    /// <summary>One task of a run given one secret: a resolution of one secret.</summary>
    private Task UseAsync(string workflowId, string secret, int version, string fingerprint, string taskReferenceName, long at) =>
        Audit.AppendResolutionsAsync([Resolution(workflowId, taskReferenceName, at, new ResolvedSecret(secret, version, fingerprint))]);

    private static SecretResolution Resolution(string workflowId, string taskReferenceName, long at, params ResolvedSecret[] secrets) =>
        new(at, "app:orders", workflowId, $"task-{taskReferenceName}", taskReferenceName, secrets);

    [Fact]
    public async Task A_recorded_secret_use_reads_back_as_a_manifest_entry()
    {
        await UseAsync("wf-1", "db_password", 3, "fp-3", "charge_ref", Samples.T0);

        var entry = Assert.Single(await Manifests.GetAsync("wf-1"));

        Assert.Equal(("db_password", 3, "fp-3", Samples.T0), (entry.Secret, entry.Version, entry.Fingerprint, entry.FirstUsedAt));
        Assert.Equal(["charge_ref"], entry.TaskReferenceNames);
    }

    [Fact]
    public async Task A_run_without_recorded_uses_has_an_empty_manifest()
    {
        await UseAsync("wf-1", "db_password", 1, "fp", "charge_ref", Samples.T0);

        Assert.Empty(await Manifests.GetAsync("wf-2"));
    }

    [Fact]
    public async Task The_same_task_using_a_secret_twice_is_listed_once_and_the_first_use_is_kept()
    {
        await UseAsync("wf-1", "db_password", 1, "fp", "charge_ref", Samples.T0);
        await UseAsync("wf-1", "db_password", 1, "fp", "charge_ref", Samples.T0 + 5);

        var entry = Assert.Single(await Manifests.GetAsync("wf-1"));

        Assert.Equal(["charge_ref"], entry.TaskReferenceNames);
        Assert.Equal(Samples.T0, entry.FirstUsedAt);
    }

    [Fact]
    public async Task Two_tasks_using_one_secret_version_share_an_entry_in_first_use_order()
    {
        await UseAsync("wf-1", "db_password", 1, "fp", "zeta_ref", Samples.T0);
        await UseAsync("wf-1", "db_password", 1, "fp", "alpha_ref", Samples.T0 + 1);
        await UseAsync("wf-1", "db_password", 1, "fp", "zeta_ref", Samples.T0 + 2);

        var entry = Assert.Single(await Manifests.GetAsync("wf-1"));

        Assert.Equal(["zeta_ref", "alpha_ref"], entry.TaskReferenceNames);
        Assert.Equal(Samples.T0, entry.FirstUsedAt);
    }

    [Fact]
    public async Task Two_versions_of_a_secret_used_by_one_run_are_two_entries()
    {
        await UseAsync("wf-1", "db_password", 1, "fp-1", "first_ref", Samples.T0);
        await UseAsync("wf-1", "db_password", 2, "fp-2", "second_ref", Samples.T0 + 1);
        await UseAsync("wf-1", "api_key", 7, "fp-7", "second_ref", Samples.T0 + 2);

        var entries = await Manifests.GetAsync("wf-1");

        Assert.Equal(
            [("db_password", 1, "fp-1", "first_ref"), ("db_password", 2, "fp-2", "second_ref"), ("api_key", 7, "fp-7", "second_ref")],
            entries.Select(e => (e.Secret, e.Version, e.Fingerprint, Assert.Single(e.TaskReferenceNames))));
    }

    [Fact]
    public async Task Clearing_a_run_manifest_forgets_only_that_run_and_a_later_use_starts_afresh()
    {
        await UseAsync("wf-1", "db_password", 1, "fp", "a_ref", Samples.T0);
        await UseAsync("wf-1", "db_password", 1, "fp", "b_ref", Samples.T0 + 1);
        await UseAsync("wf-2", "db_password", 1, "fp", "a_ref", Samples.T0);

        await Manifests.ClearAsync("wf-1", Samples.T0 + 5);

        Assert.Empty(await Manifests.GetAsync("wf-1"));
        Assert.Single(await Manifests.GetAsync("wf-2"));
        await UseAsync("wf-1", "db_password", 2, "fp-2", "b_ref", Samples.T0 + 9);
        var entry = Assert.Single(await Manifests.GetAsync("wf-1"));
        Assert.Equal((2, Samples.T0 + 9), (entry.Version, entry.FirstUsedAt));
        Assert.Equal(["b_ref"], entry.TaskReferenceNames);
    }

    [Fact]
    public async Task A_cleared_manifest_shows_in_the_audit_as_a_reset_of_that_run()
    {
        await UseAsync("wf-1", "db_password", 1, "fp", "a_ref", Samples.T0);

        await Manifests.ClearAsync("wf-1", Samples.T0 + 5);

        var reset = Assert.Single(await Audit.QueryAsync(new AuditQuery { WorkflowId = "wf-1", Action = AuditActions.ManifestReset }));
        Assert.Equal((Samples.T0 + 5, "ok"), (reset.Time, reset.Outcome));
        Assert.Single(await Audit.QueryAsync(new AuditQuery { WorkflowId = "wf-1", Action = AuditActions.Resolve }));
    }

    [Fact]
    public async Task A_resolution_of_several_secrets_adds_each_to_the_manifest_for_its_task()
    {
        await Audit.AppendResolutionsAsync([Resolution("wf-1", "one", Samples.T0, new("alpha", 1, "fp-a"), new("beta", 4, "fp-b"))]);
        await Audit.AppendResolutionsAsync([Resolution("wf-1", "two", Samples.T0 + 1, new("beta", 4, "fp-b"), new("gamma", 2, "fp-g"))]);

        var entries = await Manifests.GetAsync("wf-1");

        Assert.Equal([("alpha", 1, "fp-a", Samples.T0), ("beta", 4, "fp-b", Samples.T0), ("gamma", 2, "fp-g", Samples.T0 + 1)],
            entries.Select(e => (e.Secret, e.Version, e.Fingerprint, e.FirstUsedAt)));
        Assert.Equal([["one"], ["one", "two"], ["two"]], entries.Select(e => e.TaskReferenceNames));
    }

    [Fact]
    public async Task Failed_resolutions_and_other_events_of_a_run_are_not_in_its_manifest()
    {
        await Audit.AppendAsync(new AuditEvent { Time = Samples.T0, Action = AuditActions.Resolve, Outcome = "denied", Secret = "db_password", WorkflowId = "wf-1" });
        await Audit.AppendAsync(new AuditEvent { Time = Samples.T0, Action = AuditActions.Resolve, Outcome = "failed", Secret = "api_key", Version = 2, WorkflowId = "wf-1" });

        Assert.Empty(await Manifests.GetAsync("wf-1"));
    }

    [Fact]
    public async Task Concurrent_uses_by_many_tasks_are_each_recorded_once()
    {
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            Task.Run(() => UseAsync("wf-1", "db_password", 1, "fp", $"t{i % 25:D2}_ref", Samples.T0 + i))));

        var entry = Assert.Single(await Manifests.GetAsync("wf-1"));

        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"t{i:D2}_ref"), entry.TaskReferenceNames.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Every_acknowledged_manifest_entry_is_still_there_after_the_store_is_reopened()
    {
        await UseAsync("wf-1", "db_password", 1, "fp-1", "a_ref", Samples.T0);
        await UseAsync("wf-1", "db_password", 1, "fp-1", "b_ref", Samples.T0 + 1);
        await UseAsync("wf-1", "api_key", 2, "fp-2", "b_ref", Samples.T0 + 2);
        var before = Snapshot.Of(await Manifests.GetAsync("wf-1"));

        await ReopenStoresAsync();

        Assert.Equal(before, Snapshot.Of(await Manifests.GetAsync("wf-1")));
        Assert.Equal(2, (await Manifests.GetAsync("wf-1")).Count);
    }
}
