using Baton.Secrets.Audit;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    private static AuditEvent Event(long time, string action = "read", string? secret = "token", string? principal = "alice",
        string? workflowId = null, string outcome = "ok") => new()
        {
            Time = time,
            Action = action,
            Outcome = outcome,
            Secret = secret,
            Principal = principal,
            WorkflowId = workflowId,
        };

    private async Task AppendAllAsync(params AuditEvent[] events)
    {
        foreach (var e in events) await Audit.AppendAsync(e);
    }

    private async Task<List<long>> AuditTimesAsync(AuditQuery query) => (await Audit.QueryAsync(query)).Select(e => e.Time).ToList();

    [Fact]
    public async Task An_appended_audit_event_reads_back_with_every_field_and_an_assigned_id()
    {
        var appended = new AuditEvent
        {
            Time = Samples.T0,
            Action = "resolve",
            Outcome = "denied",
            Secret = "db_password",
            Version = 3,
            Principal = "app:orders",
            WorkflowId = "wf-1",
            TaskId = "t-1",
            TaskReferenceName = "charge_ref",
            Detail = "not allowed ✓",
        };

        await Audit.AppendAsync(appended);

        var read = Assert.Single(await Audit.QueryAsync(new AuditQuery()));
        Assert.True(read.Id > 0);
        Assert.Equal(appended with { Id = read.Id }, read);
    }

    [Fact]
    public async Task Audit_ids_grow_in_append_order()
    {
        await AppendAllAsync(Event(Samples.T0), Event(Samples.T0), Event(Samples.T0));

        var ids = (await Audit.QueryAsync(new AuditQuery())).Select(e => e.Id).ToList();

        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(ids.OrderDescending(), ids);
    }

    [Fact]
    public async Task Audit_events_come_newest_first_by_time_then_latest_appended_first()
    {
        await AppendAllAsync(Event(Samples.T0 + 2, secret: "b"), Event(Samples.T0 + 1, secret: "a"), Event(Samples.T0 + 3, secret: "c"),
            Event(Samples.T0 + 3, secret: "d"));

        var secrets = (await Audit.QueryAsync(new AuditQuery())).Select(e => e.Secret);

        Assert.Equal(["d", "c", "b", "a"], secrets);
    }

    [Fact]
    public async Task An_audit_query_returns_at_most_its_limit_of_the_newest()
    {
        for (var i = 0; i < 10; i++) await Audit.AppendAsync(Event(Samples.T0 + i));

        Assert.Equal([Samples.T0 + 9, Samples.T0 + 8, Samples.T0 + 7], await AuditTimesAsync(new AuditQuery { Limit = 3 }));
        Assert.Equal(10, (await Audit.QueryAsync(new AuditQuery())).Count);
    }

    [Fact]
    public async Task An_audit_query_filters_by_secret()
    {
        await AppendAllAsync(Event(Samples.T0 + 1, secret: "a"), Event(Samples.T0 + 2, secret: "b"), Event(Samples.T0 + 3, secret: "a"),
            Event(Samples.T0 + 4, secret: null));

        Assert.Equal([Samples.T0 + 3, Samples.T0 + 1], await AuditTimesAsync(new AuditQuery { Secret = "a" }));
    }

    [Fact]
    public async Task An_audit_query_filters_by_principal()
    {
        await AppendAllAsync(Event(Samples.T0 + 1, principal: "alice"), Event(Samples.T0 + 2, principal: "bob"), Event(Samples.T0 + 3, principal: null),
            Event(Samples.T0 + 4, principal: "bob"));

        Assert.Equal([Samples.T0 + 4, Samples.T0 + 2], await AuditTimesAsync(new AuditQuery { Principal = "bob" }));
    }

    [Fact]
    public async Task An_audit_query_filters_by_workflow()
    {
        await AppendAllAsync(Event(Samples.T0 + 1, workflowId: "wf-1"), Event(Samples.T0 + 2, workflowId: "wf-2"), Event(Samples.T0 + 3),
            Event(Samples.T0 + 4, workflowId: "wf-1"));

        Assert.Equal([Samples.T0 + 4, Samples.T0 + 1], await AuditTimesAsync(new AuditQuery { WorkflowId = "wf-1" }));
    }

    [Fact]
    public async Task An_audit_query_filters_by_action()
    {
        await AppendAllAsync(Event(Samples.T0 + 1, action: "create"), Event(Samples.T0 + 2, action: "read"), Event(Samples.T0 + 3, action: "create"));

        Assert.Equal([Samples.T0 + 3, Samples.T0 + 1], await AuditTimesAsync(new AuditQuery { Action = "create" }));
    }

    [Fact]
    public async Task An_audit_query_filters_by_a_time_range_that_includes_both_ends()
    {
        for (var i = 0; i < 6; i++) await Audit.AppendAsync(Event(Samples.T0 + i));

        Assert.Equal([Samples.T0 + 4, Samples.T0 + 3, Samples.T0 + 2], await AuditTimesAsync(new AuditQuery { From = Samples.T0 + 2, To = Samples.T0 + 4 }));
        Assert.Equal([Samples.T0 + 5, Samples.T0 + 4], await AuditTimesAsync(new AuditQuery { From = Samples.T0 + 4 }));
        Assert.Equal([Samples.T0 + 1, Samples.T0], await AuditTimesAsync(new AuditQuery { To = Samples.T0 + 1 }));
    }

    [Fact]
    public async Task An_audit_query_requires_every_criterion_it_sets()
    {
        await AppendAllAsync(
            Event(Samples.T0 + 1, action: "resolve", secret: "a", principal: "bob", workflowId: "wf-1"),
            Event(Samples.T0 + 2, action: "resolve", secret: "a", principal: "bob", workflowId: "wf-2"),
            Event(Samples.T0 + 3, action: "read", secret: "a", principal: "bob", workflowId: "wf-1"),
            Event(Samples.T0 + 4, action: "resolve", secret: "b", principal: "bob", workflowId: "wf-1"),
            Event(Samples.T0 + 5, action: "resolve", secret: "a", principal: "eve", workflowId: "wf-1"),
            Event(Samples.T0 + 6, action: "resolve", secret: "a", principal: "bob", workflowId: "wf-1"),
            Event(Samples.T0 + 99, action: "resolve", secret: "a", principal: "bob", workflowId: "wf-1"));

        var times = await AuditTimesAsync(new AuditQuery
        {
            Action = "resolve",
            Secret = "a",
            Principal = "bob",
            WorkflowId = "wf-1",
            From = Samples.T0,
            To = Samples.T0 + 10,
        });

        Assert.Equal([Samples.T0 + 6, Samples.T0 + 1], times);
    }

    [Fact]
    public async Task Every_acknowledged_audit_event_is_still_there_after_the_store_is_reopened()
    {
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => Audit.AppendAsync(Event(Samples.T0 + i, secret: $"s{i}")))));
        var before = Snapshot.Of(await Audit.QueryAsync(new AuditQuery()));

        await ReopenStoresAsync();

        Assert.Equal(before, Snapshot.Of(await Audit.QueryAsync(new AuditQuery())));
        Assert.Equal(50, (await Audit.QueryAsync(new AuditQuery())).Count);
    }

    [Fact]
    public async Task A_query_by_secret_finds_a_resolution_that_names_it_and_gives_only_that_secret()
    {
        await Audit.AppendResolutionsAsync([new SecretResolution(Samples.T0 + 1, "app:orders", "wf-1", "t-1", "call",
            [new ResolvedSecret("a", 1, "fp-a"), new ResolvedSecret("b", 5, "fp-b"), new ResolvedSecret("c", 2, "fp-c")])]);
        await AppendAllAsync(Event(Samples.T0 + 2, secret: "b"), Event(Samples.T0, secret: "b", action: "create"));

        var events = await Audit.QueryAsync(new AuditQuery { Secret = "b" });

        Assert.Equal([("read", Samples.T0 + 2), ("resolve", Samples.T0 + 1), ("create", Samples.T0)], events.Select(e => (e.Action, e.Time)));
        Assert.Equal(("b", 5, "fp-b", "wf-1", "call"), (events[1].Secret, events[1].Version, events[1].Fingerprint, events[1].WorkflowId, events[1].TaskReferenceName));
    }

    [Fact]
    public async Task A_resolution_is_found_by_principal_run_action_and_time_and_counts_one_per_secret_against_the_limit()
    {
        await Audit.AppendResolutionsAsync([new SecretResolution(Samples.T0 + 1, "bob", "wf-1", "t-1", "call",
            [new ResolvedSecret("a", 1, "fp-a"), new ResolvedSecret("b", 1, "fp-b")])]);
        await AppendAllAsync(Event(Samples.T0 + 2, principal: "bob"), Event(Samples.T0 + 3, principal: "eve", workflowId: "wf-1"));

        Assert.Equal([Samples.T0 + 2, Samples.T0 + 1, Samples.T0 + 1], await AuditTimesAsync(new AuditQuery { Principal = "bob" }));
        Assert.Equal(["b", "a"], (await Audit.QueryAsync(new AuditQuery { WorkflowId = "wf-1", Action = AuditActions.Resolve })).Select(e => e.Secret));
        Assert.Equal([Samples.T0 + 1, Samples.T0 + 1], await AuditTimesAsync(new AuditQuery { From = Samples.T0 + 1, To = Samples.T0 + 1 }));
        Assert.Equal([Samples.T0 + 3, Samples.T0 + 2, Samples.T0 + 1], await AuditTimesAsync(new AuditQuery { Limit = 3 }));
        Assert.Equal([Samples.T0 + 1], await AuditTimesAsync(new AuditQuery { Secret = "a", Principal = "bob", WorkflowId = "wf-1", To = Samples.T0 + 1 }));
    }
}
