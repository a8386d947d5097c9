using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Json;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    private static WorkflowDef Def(string name, int version, string description = "") => new()
    {
        Name = name,
        Version = version,
        Description = description,
        Tasks = [new WorkflowTask { Name = "task_a", TaskReferenceName = "ref_a" }],
    };

    [Fact]
    public async Task Saving_a_new_workflow_def_returns_true_and_reads_back()
    {
        var def = Def("order_flow", 1, "first");

        Assert.True(await Metadata.SaveWorkflowDefAsync(def, overwrite: false));

        JsonAssert.SameJson(def, await Metadata.GetWorkflowDefAsync("order_flow", 1));
    }

    [Fact]
    public async Task Saving_an_existing_name_and_version_without_overwrite_refuses_and_keeps_the_old_one()
    {
        await Metadata.SaveWorkflowDefAsync(Def("order_flow", 1, "old"), overwrite: false);

        Assert.False(await Metadata.SaveWorkflowDefAsync(Def("order_flow", 1, "new"), overwrite: false));

        Assert.Equal("old", (await Metadata.GetWorkflowDefAsync("order_flow", 1))?.Description);
    }

    [Fact]
    public async Task Saving_an_existing_name_and_version_with_overwrite_replaces_it()
    {
        await Metadata.SaveWorkflowDefAsync(Def("order_flow", 1, "old"), overwrite: false);

        Assert.True(await Metadata.SaveWorkflowDefAsync(Def("order_flow", 1, "new"), overwrite: true));

        Assert.Equal("new", (await Metadata.GetWorkflowDefAsync("order_flow", 1))?.Description);
        Assert.Single(await Metadata.ListWorkflowDefsAsync());
    }

    [Fact]
    public async Task Without_a_version_the_latest_version_is_read()
    {
        await Metadata.SaveWorkflowDefAsync(Def("order_flow", 2, "v2"), overwrite: false);
        await Metadata.SaveWorkflowDefAsync(Def("order_flow", 10, "v10"), overwrite: false);
        await Metadata.SaveWorkflowDefAsync(Def("order_flow", 3, "v3"), overwrite: false);
        await Metadata.SaveWorkflowDefAsync(Def("other_flow", 99, "other"), overwrite: false);

        var latest = await Metadata.GetWorkflowDefAsync("order_flow", version: null);

        Assert.Equal(10, latest?.Version);
        Assert.Equal("v10", latest?.Description);
    }

    [Fact]
    public async Task A_specific_version_is_read_when_asked_for()
    {
        await Metadata.SaveWorkflowDefAsync(Def("order_flow", 1, "v1"), overwrite: false);
        await Metadata.SaveWorkflowDefAsync(Def("order_flow", 2, "v2"), overwrite: false);

        Assert.Equal("v1", (await Metadata.GetWorkflowDefAsync("order_flow", 1))?.Description);
        Assert.Null(await Metadata.GetWorkflowDefAsync("order_flow", 3));
        Assert.Null(await Metadata.GetWorkflowDefAsync("unknown_flow", null));
    }

    [Fact]
    public async Task Workflow_defs_are_listed_ordered_by_name_then_version()
    {
        await Metadata.SaveWorkflowDefAsync(Def("bravo", 2), overwrite: false);
        await Metadata.SaveWorkflowDefAsync(Def("alpha", 10), overwrite: false);
        await Metadata.SaveWorkflowDefAsync(Def("bravo", 1), overwrite: false);
        await Metadata.SaveWorkflowDefAsync(Def("alpha", 9), overwrite: false);

        var listed = (await Metadata.ListWorkflowDefsAsync()).Select(d => $"{d.Name}:{d.Version}");

        Assert.Equal(["alpha:9", "alpha:10", "bravo:1", "bravo:2"], listed);
    }

    [Fact]
    public async Task Deleting_one_version_keeps_the_others()
    {
        await Metadata.SaveWorkflowDefAsync(Def("order_flow", 1), overwrite: false);
        await Metadata.SaveWorkflowDefAsync(Def("order_flow", 2), overwrite: false);

        Assert.True(await Metadata.DeleteWorkflowDefAsync("order_flow", 2));
        Assert.False(await Metadata.DeleteWorkflowDefAsync("order_flow", 2));
        Assert.False(await Metadata.DeleteWorkflowDefAsync("order_flow", 7));

        Assert.Null(await Metadata.GetWorkflowDefAsync("order_flow", 2));
        Assert.Equal(1, (await Metadata.GetWorkflowDefAsync("order_flow", null))?.Version);
    }

    [Fact]
    public async Task Unknown_fields_and_nulls_in_a_workflow_def_round_trip()
    {
        const string json = """
            {
              "name": "vendor_flow", "version": 4,
              "vendorSetting": { "level": 3, "missing": null, "list": [1, null, "x"] },
              "rateLimitConfig": null,
              "outputParameters": { "total": "${t.output.total}", "unset": null },
              "tasks": [ { "name": "t", "taskReferenceName": "t", "type": "SIMPLE", "someFutureField": [ { "a": null } ] } ]
            }
            """;
        var def = BatonJson.Deserialize<WorkflowDef>(json)!;

        await Metadata.SaveWorkflowDefAsync(def, overwrite: false);
        var read = await Metadata.GetWorkflowDefAsync("vendor_flow", 4);

        Assert.NotNull(read?.Extra);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{ "level": 3, "missing": null, "list": [1, null, "x"] }"""),
            JsonNode.Parse(read.Extra["vendorSetting"].GetRawText())));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, read.Extra["rateLimitConfig"].ValueKind);
        Assert.True(read.OutputParameters!.ContainsKey("unset"));
        Assert.Null(read.OutputParameters["unset"]);
        Assert.Equal("""[{"a":null}]""", read.Tasks[0].Extra?["someFutureField"].GetRawText().Replace(" ", "", StringComparison.Ordinal));
        JsonAssert.SameJson(def, read);
    }
}
