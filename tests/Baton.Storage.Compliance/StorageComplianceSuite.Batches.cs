using Baton.Secrets.Audit;
using Baton.Secrets.Store;

namespace Baton.Storage.Compliance;

/// <summary>The batched writes a hand-off uses: several audit events and manifest uses in one write each.</summary>
public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task A_batch_of_audit_events_lands_whole_in_order_with_every_field()
    {
        var events = Enumerable.Range(1, 3).Select(i => new AuditEvent
        {
            Time = Samples.T0,
            Action = "resolve",
            Outcome = "ok",
            Secret = $"secret-{i}",
            Version = i,
            Principal = "app:orders",
            WorkflowId = "wf-batch",
            TaskId = "t-1",
            TaskReferenceName = "call",
            Detail = i == 2 ? "with ✓ detail" : null,
        }).ToList();

        await Audit.AppendAllAsync(events);
        await ReopenStoresAsync();

        var read = (await Audit.QueryAsync(new AuditQuery { WorkflowId = "wf-batch" })).Reverse().ToList();
        Assert.Equal(events, read.Select(e => e with { Id = 0 }));
        Assert.Equal(read.Select(e => e.Id).Order(), read.Select(e => e.Id));
    }

    [Fact]
    public async Task A_batch_of_manifest_uses_records_each_secret_once_with_its_tasks()
    {
        await Manifests.RecordAllAsync(
        [
            new ManifestRecord("wf-m", "alpha", 1, "fp-a", "one", Samples.T0),
            new ManifestRecord("wf-m", "beta", 2, "fp-b", "one", Samples.T0),
        ]);
        await Manifests.RecordAllAsync(
        [
            new ManifestRecord("wf-m", "alpha", 1, "fp-a", "two", Samples.T0 + 1),
            new ManifestRecord("wf-m", "beta", 2, "fp-b", "one", Samples.T0 + 1),
        ]);
        await ReopenStoresAsync();

        var entries = await Manifests.GetAsync("wf-m");
        Assert.Equal(["alpha", "beta"], entries.Select(e => e.Secret));
        Assert.Equal(["one", "two"], entries[0].TaskReferenceNames);
        Assert.Equal(["one"], entries[1].TaskReferenceNames);
        Assert.Equal(Samples.T0, entries[0].FirstUsedAt);
    }

    [Fact]
    public async Task A_use_of_an_entry_already_recorded_adds_its_task_and_keeps_the_entry()
    {
        await Manifests.RecordAllAsync([new ManifestRecord("wf-k", "alpha", 1, "fp-a", "one", Samples.T0)]);
        await Manifests.RecordAllAsync(
        [
            new ManifestRecord("wf-k", "alpha", 1, "fp-a", "two", Samples.T0 + 1) { EntryKnown = true },
            new ManifestRecord("wf-k", "beta", 3, "fp-b", "two", Samples.T0 + 1),
        ]);
        await ReopenStoresAsync();

        var entries = await Manifests.GetAsync("wf-k");
        Assert.Equal([("alpha", 1, "fp-a", Samples.T0), ("beta", 3, "fp-b", Samples.T0 + 1)],
            entries.Select(e => (e.Secret, e.Version, e.Fingerprint, e.FirstUsedAt)));
        Assert.Equal(["one", "two"], entries[0].TaskReferenceNames);
        Assert.Equal(["two"], entries[1].TaskReferenceNames);
    }
}
