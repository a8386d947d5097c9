using System.Text.Json.Nodes;
using Baton.Core.Runs;
using Baton.Engine.Persistence;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    /// <summary>Five runs of two definitions, one started each second, in a shuffled save order.</summary>
    private async Task SaveSearchableRunsAsync()
    {
        await SaveRunsAsync(
            Samples.Run("wf-3", name: "ship", status: WorkflowStatus.Completed, startTime: Samples.T0 + 3000),
            Samples.Run("wf-1", name: "order", startTime: Samples.T0 + 1000),
            Samples.Run("wf-5", name: "order", version: 2, status: WorkflowStatus.Failed, startTime: Samples.T0 + 5000),
            Samples.Run("wf-2", name: "order", status: WorkflowStatus.Completed, startTime: Samples.T0 + 2000),
            Samples.Run("wf-4", name: "ship", status: WorkflowStatus.Paused, startTime: Samples.T0 + 4000));
    }

    private async Task<List<string>> SearchIdsAsync(WorkflowQuery query) =>
        (await Executions.SearchAsync(query)).Results.Select(r => r.WorkflowId).ToList();

    [Fact]
    public async Task Search_without_criteria_finds_every_run_newest_first()
    {
        await SaveSearchableRunsAsync();

        var result = await Executions.SearchAsync(new WorkflowQuery());

        Assert.Equal(5, result.TotalHits);
        Assert.Equal(["wf-5", "wf-4", "wf-3", "wf-2", "wf-1"], result.Results.Select(r => r.WorkflowId));
    }

    [Fact]
    public async Task Search_can_order_oldest_first()
    {
        await SaveSearchableRunsAsync();

        Assert.Equal(["wf-1", "wf-2", "wf-3", "wf-4", "wf-5"], await SearchIdsAsync(new WorkflowQuery { NewestFirst = false }));
    }

    [Fact]
    public async Task Search_filters_by_name_and_version()
    {
        await SaveSearchableRunsAsync();

        Assert.Equal(["wf-5", "wf-2", "wf-1"], await SearchIdsAsync(new WorkflowQuery { WorkflowName = "order" }));
        Assert.Equal(["wf-5"], await SearchIdsAsync(new WorkflowQuery { WorkflowName = "order", Version = 2 }));
    }

    [Fact]
    public async Task Search_filters_by_any_of_several_statuses()
    {
        await SaveSearchableRunsAsync();

        var result = await Executions.SearchAsync(new WorkflowQuery { Statuses = [WorkflowStatus.Completed, WorkflowStatus.Paused] });

        Assert.Equal(3, result.TotalHits);
        Assert.Equal(["wf-4", "wf-3", "wf-2"], result.Results.Select(r => r.WorkflowId));
    }

    [Fact]
    public async Task Search_filters_by_correlation_id_and_by_workflow_id()
    {
        await SaveSearchableRunsAsync();

        Assert.Equal(["wf-3"], await SearchIdsAsync(new WorkflowQuery { CorrelationId = "corr-wf-3" }));
        Assert.Equal(["wf-4"], await SearchIdsAsync(new WorkflowQuery { WorkflowId = "wf-4" }));
        Assert.Empty(await SearchIdsAsync(new WorkflowQuery { WorkflowId = "wf-4", CorrelationId = "corr-wf-3" }));
    }

    [Fact]
    public async Task Search_filters_by_who_started_the_run()
    {
        var mine = Samples.Run("wf-mine", startTime: Samples.T0 + 1000);
        mine.CreatedBy = "dana@example.test";
        var theirs = Samples.Run("wf-theirs", startTime: Samples.T0 + 2000);
        theirs.CreatedBy = "eve@example.test";
        await SaveRunsAsync(mine, theirs);

        Assert.Equal(["wf-mine"], await SearchIdsAsync(new WorkflowQuery { StartedBy = "dana@example.test" }));
        Assert.Empty(await SearchIdsAsync(new WorkflowQuery { StartedBy = "nobody@example.test" }));
    }

    [Fact]
    public async Task Search_filters_by_an_inclusive_start_time_range()
    {
        await SaveSearchableRunsAsync();

        var query = new WorkflowQuery { StartedAfter = Samples.T0 + 2000, StartedBefore = Samples.T0 + 4000 };

        Assert.Equal(["wf-4", "wf-3", "wf-2"], await SearchIdsAsync(query));
    }

    [Fact]
    public async Task Search_combines_criteria()
    {
        await SaveSearchableRunsAsync();

        var query = new WorkflowQuery { WorkflowName = "order", Statuses = [WorkflowStatus.Completed], StartedAfter = Samples.T0 + 1500 };

        Assert.Equal(["wf-2"], await SearchIdsAsync(query));
    }

    [Fact]
    public async Task Search_pages_with_start_and_size_and_counts_every_hit()
    {
        await SaveSearchableRunsAsync();

        var page = await Executions.SearchAsync(new WorkflowQuery { Start = 1, Size = 2 });
        var last = await Executions.SearchAsync(new WorkflowQuery { Start = 4, Size = 2 });
        var beyond = await Executions.SearchAsync(new WorkflowQuery { Start = 10, Size = 2 });

        Assert.Equal(5, page.TotalHits);
        Assert.Equal(["wf-4", "wf-3"], page.Results.Select(r => r.WorkflowId));
        Assert.Equal(["wf-1"], last.Results.Select(r => r.WorkflowId));
        Assert.Equal(5, beyond.TotalHits);
        Assert.Empty(beyond.Results);
    }

    [Fact]
    public async Task Search_results_carry_the_whole_run()
    {
        var run = Samples.Run("wf-1");
        await SaveRunsAsync(run);

        var found = Assert.Single((await Executions.SearchAsync(new WorkflowQuery { WorkflowId = "wf-1" })).Results);

        JsonAssert.SameJson(run, found);
    }

    [Fact]
    public async Task Free_text_finds_runs_by_a_value_in_their_input()
    {
        await SaveSearchableRunsAsync();
        var needle = Samples.Run("wf-needle", startTime: Samples.T0 + 6000);
        needle.Input["note"] = "deliver to the blue door";
        await SaveRunsAsync(needle);

        var result = await Executions.SearchAsync(new WorkflowQuery { FreeText = "blue door" });

        Assert.Equal(1, result.TotalHits);
        Assert.Equal("wf-needle", Assert.Single(result.Results).WorkflowId);
    }

    [Fact]
    public async Task Free_text_finds_runs_by_a_value_in_their_output()
    {
        await SaveSearchableRunsAsync();
        var needle = Samples.Run("wf-needle", startTime: Samples.T0 + 6000);
        needle.Output["receipt"] = "RCPT-778899";
        await SaveRunsAsync(needle);

        Assert.Equal(["wf-needle"], await SearchIdsAsync(new WorkflowQuery { FreeText = "RCPT-778899" }));
    }

    [Fact]
    public async Task Free_text_finds_accented_input_as_written()
    {
        await SaveSearchableRunsAsync();
        var needle = Samples.Run("wf-needle", startTime: Samples.T0 + 6000);
        needle.Input["city"] = "Kraków";
        await SaveRunsAsync(needle);

        Assert.Equal(["wf-needle"], await SearchIdsAsync(new WorkflowQuery { FreeText = "Kraków" }));
    }

    [Fact]
    public async Task Free_text_finds_emoji_input_as_written()
    {
        await SaveSearchableRunsAsync();
        var needle = Samples.Run("wf-needle", startTime: Samples.T0 + 6000);
        needle.Input["mood"] = "🎉 party";
        await SaveRunsAsync(needle);

        Assert.Equal(["wf-needle"], await SearchIdsAsync(new WorkflowQuery { FreeText = "🎉 party" }));
    }

    [Fact]
    public async Task Free_text_finds_input_containing_quotes()
    {
        var needle = Samples.Run("wf-needle");
        needle.Input["title"] = "the \"special\" offer";
        await SaveRunsAsync(needle, Samples.Run("wf-other", startTime: Samples.T0 + 1));

        Assert.Equal(["wf-needle"], await SearchIdsAsync(new WorkflowQuery { FreeText = "\"special\"" }));
    }

    [Fact]
    public async Task Free_text_does_not_match_fields_outside_id_correlation_input_and_output()
    {
        var run = Samples.Run("wf-1");
        run.Variables["secret"] = "only-in-variables";
        run.ReasonForIncompletion = "only-in-reason";
        run.WorkflowDefinition.Description = "only-in-definition";
        run.Input = new JsonObject { ["plain"] = "value" };
        await SaveRunsAsync(run);

        Assert.Empty(await SearchIdsAsync(new WorkflowQuery { FreeText = "only-in-variables" }));
        Assert.Empty(await SearchIdsAsync(new WorkflowQuery { FreeText = "only-in-reason" }));
        Assert.Empty(await SearchIdsAsync(new WorkflowQuery { FreeText = "only-in-definition" }));
    }
}
