using Baton.Core.Definitions;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    [Fact]
    public async Task An_upserted_task_def_reads_back_with_every_field()
    {
        var def = new TaskDef
        {
            Name = "charge_card",
            Description = "Charges the card ✓",
            RetryCount = 5,
            RetryLogic = "EXPONENTIAL_BACKOFF",
            RetryDelaySeconds = 7,
            ResponseTimeoutSeconds = 30,
            InputKeys = ["amount", "currency"],
            InputTemplate = new() { ["currency"] = "EUR", ["note"] = null },
            RateLimitPerFrequency = 10,
            OwnerEmail = "ops@example.com",
            CreateTime = Samples.T0,
        };

        await Metadata.UpsertTaskDefsAsync([def]);

        JsonAssert.SameJson(def, await Metadata.GetTaskDefAsync("charge_card"));
    }

    [Fact]
    public async Task Upserting_a_task_def_again_replaces_it()
    {
        await Metadata.UpsertTaskDefsAsync([new TaskDef { Name = "charge_card", RetryCount = 1 }]);

        await Metadata.UpsertTaskDefsAsync([new TaskDef { Name = "charge_card", RetryCount = 9 }]);

        Assert.Equal(9, (await Metadata.GetTaskDefAsync("charge_card"))?.RetryCount);
        Assert.Single(await Metadata.ListTaskDefsAsync());
    }

    [Fact]
    public async Task An_unknown_task_def_reads_as_null()
    {
        await Metadata.UpsertTaskDefsAsync([new TaskDef { Name = "known" }]);

        Assert.Null(await Metadata.GetTaskDefAsync("unknown"));
    }

    [Fact]
    public async Task Task_defs_are_listed_ordered_by_name()
    {
        await Metadata.UpsertTaskDefsAsync([new TaskDef { Name = "charlie" }, new TaskDef { Name = "alpha" }]);
        await Metadata.UpsertTaskDefsAsync([new TaskDef { Name = "bravo" }]);

        var names = (await Metadata.ListTaskDefsAsync()).Select(d => d.Name);

        Assert.Equal(["alpha", "bravo", "charlie"], names);
    }

    [Fact]
    public async Task Deleting_a_task_def_removes_it_and_says_so_only_once()
    {
        await Metadata.UpsertTaskDefsAsync([new TaskDef { Name = "doomed" }, new TaskDef { Name = "kept" }]);

        Assert.True(await Metadata.DeleteTaskDefAsync("doomed"));
        Assert.False(await Metadata.DeleteTaskDefAsync("doomed"));

        Assert.Null(await Metadata.GetTaskDefAsync("doomed"));
        Assert.NotNull(await Metadata.GetTaskDefAsync("kept"));
    }

    [Fact]
    public async Task Deleting_a_task_def_that_never_existed_returns_false()
    {
        Assert.False(await Metadata.DeleteTaskDefAsync("never"));
    }
}
