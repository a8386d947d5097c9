using Baton.Secrets.Audit;

namespace Baton.Storage.Compliance;

/// <summary>The batched writes a hand-off uses: several resolutions in one write, each naming several secrets.</summary>
public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task A_batch_of_resolutions_lands_whole_in_order_as_one_resolve_event_per_secret()
    {
        var first = new SecretResolution(Samples.T0, "app:orders", "wf-batch", "t-1", "call",
            [new ResolvedSecret("secret-1", 1, "fp-1"), new ResolvedSecret("secret-2", 2, "fp-2")]);
        var second = new SecretResolution(Samples.T0, null, "wf-batch", "t-2", "again", [new ResolvedSecret("secret-3", 3, "fp-3")]);

        await Audit.AppendResolutionsAsync([first, second]);
        await ReopenStoresAsync();

        var read = (await Audit.QueryAsync(new AuditQuery { WorkflowId = "wf-batch" })).Reverse().ToList();
        Assert.Equal(
        [
            Resolved(first, first.Secrets[0]),
            Resolved(first, first.Secrets[1]),
            Resolved(second, second.Secrets[0]),
        ], read.Select(e => e with { Id = 0 }));
        Assert.Equal(read[0].Id, read[1].Id);
        Assert.True(read[2].Id > read[1].Id);
    }

    [Fact]
    public async Task A_batch_of_resolutions_records_each_secret_once_in_the_manifest_with_its_tasks()
    {
        await Audit.AppendResolutionsAsync(
        [
            new SecretResolution(Samples.T0, null, "wf-m", "t-1", "one", [new ResolvedSecret("alpha", 1, "fp-a"), new ResolvedSecret("beta", 2, "fp-b")]),
            new SecretResolution(Samples.T0 + 1, null, "wf-m", "t-2", "two", [new ResolvedSecret("alpha", 1, "fp-a")]),
        ]);
        await Audit.AppendResolutionsAsync([new SecretResolution(Samples.T0 + 2, null, "wf-m", "t-1", "one", [new ResolvedSecret("beta", 2, "fp-b")])]);
        await ReopenStoresAsync();

        var entries = await Manifests.GetAsync("wf-m");
        Assert.Equal(["alpha", "beta"], entries.Select(e => e.Secret));
        Assert.Equal(["one", "two"], entries[0].TaskReferenceNames);
        Assert.Equal(["one"], entries[1].TaskReferenceNames);
        Assert.Equal(Samples.T0, entries[0].FirstUsedAt);
    }

    /// <summary>The event a resolution reads back as, for one of its secrets (the id left out).</summary>
    private static AuditEvent Resolved(SecretResolution resolution, ResolvedSecret secret) => new()
    {
        Time = resolution.Time,
        Action = AuditActions.Resolve,
        Outcome = "ok",
        Secret = secret.Name,
        Version = secret.Version,
        Fingerprint = secret.Fingerprint,
        Principal = resolution.Principal,
        WorkflowId = resolution.WorkflowId,
        TaskId = resolution.TaskId,
        TaskReferenceName = resolution.TaskReferenceName,
    };
}
