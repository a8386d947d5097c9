using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;
using Baton.EndToEnd.TrustModel;

namespace Baton.EndToEnd.Nodes;

/// <summary>
/// /v1/workflows holds node workflows to the rules of the definitions they compile to: an ordinary user with the
/// fewest rights (the USER role) reads, changes and deletes only what it was given, and takes no name that is not free.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class NodeWorkflowAccessTests(ServerFixture fixture) : IDisposable
{
    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    [Fact]
    public async Task An_ordinary_user_cannot_read_overwrite_or_delete_someone_elses_node_workflow()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var (_, other) = await _users.UserAsync("USER");
        var id = Defs.Unique("owned");
        (await owner.PostAsync("/v1/workflows", NodeWorkflowApiTests.Document(id))).ShouldBe(HttpStatusCode.Created);

        var read = await other.GetAsync($"/v1/workflows/{id}");
        read.ShouldBe(HttpStatusCode.Forbidden);
        Assert.False(read.Object["ok"]!.GetValue<bool>());
        Assert.Equal("forbidden", read.Object["error"]!.GetValue<string>());
        (await other.GetAsync($"/v1/workflows/{id}?version=1")).ShouldBe(HttpStatusCode.Forbidden);
        (await other.PutAsync($"/v1/workflows/{id}", NodeWorkflowApiTests.Document(id, "https://attacker.example/steal"))).ShouldBe(HttpStatusCode.Forbidden);
        (await other.DeleteAsync($"/v1/workflows/{id}")).ShouldBe(HttpStatusCode.Forbidden);
        (await other.PostAsync("/v1/workflows", NodeWorkflowApiTests.Document(id))).ShouldBe(HttpStatusCode.Conflict);
        (await other.GetAsync($"/api/metadata/workflow/{id}")).ShouldBe(HttpStatusCode.Forbidden);
        // Listing needs READ on some workflow (as GET /api/metadata/workflow does), and shows only what the caller may read.
        (await other.GetAsync("/v1/workflows")).ShouldBe(HttpStatusCode.Forbidden);
        var others = Defs.Unique("others");
        (await other.PostAsync("/v1/workflows", NodeWorkflowApiTests.Document(others))).ShouldBe(HttpStatusCode.Created);
        Assert.Equal([others], (await other.GetAsync("/v1/workflows")).Object["workflows"]!.AsArray().Select(w => w!["identifier"]!.GetValue<string>()));

        var mine = (await owner.GetAsync($"/v1/workflows/{id}")).Object["workflow"]!;
        Assert.Equal(1, mine["version"]!.GetValue<int>());
        Assert.Equal("https://example.com/webhook", mine["nodes"]![1]!["config"]!["url"]!.GetValue<string>());
        Assert.Contains((await owner.GetAsync("/v1/workflows")).Object["workflows"]!.AsArray(), w => w!["identifier"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task A_read_grant_reads_and_an_update_grant_stores_a_new_version_that_the_editor_authored()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var (readerEmail, reader) = await _users.UserAsync("USER");
        var (editorEmail, editor) = await _users.UserAsync("USER");
        var id = Defs.Unique("shared");
        (await owner.PostAsync("/v1/workflows", NodeWorkflowApiTests.Document(id))).ShouldBe(HttpStatusCode.Created);
        await _users.GrantAsync(readerEmail, "WORKFLOW_DEF", id, "READ");
        await _users.GrantAsync(editorEmail, "WORKFLOW_DEF", id, "READ", "UPDATE");

        (await reader.GetAsync($"/v1/workflows/{id}")).ShouldBe(HttpStatusCode.OK);
        (await reader.PutAsync($"/v1/workflows/{id}", NodeWorkflowApiTests.Document(id))).ShouldBe(HttpStatusCode.Forbidden);
        (await reader.DeleteAsync($"/v1/workflows/{id}")).ShouldBe(HttpStatusCode.Forbidden);

        var edited = await editor.PutAsync($"/v1/workflows/{id}", NodeWorkflowApiTests.Document(id, "https://example.com/edited"));
        edited.ShouldBe(HttpStatusCode.OK);
        Assert.Equal(2, edited.Object["workflow"]!["version"]!.GetValue<int>());
        // The editor is the new version's author: its rights, not the owner's, decide which secrets flow into it.
        Assert.Equal(editorEmail, edited.Object["workflow"]!["updatedBy"]!.GetValue<string>());
        Assert.NotEqual(editorEmail, edited.Object["workflow"]!["createdBy"]!.GetValue<string>());
        (await editor.DeleteAsync($"/v1/workflows/{id}")).ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task An_ordinary_user_cannot_take_a_conductor_definitions_name_nor_a_deleted_node_workflows()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var (_, other) = await _users.UserAsync("USER");
        var conductor = Defs.Unique("conductor_owned");
        await TrustUsers.SaveAsync(owner, Defs.Workflow(conductor, Defs.Inline("noop", "1")));

        (await other.PostAsync("/v1/workflows", NodeWorkflowApiTests.Document(conductor))).ShouldBe(HttpStatusCode.Conflict);
        (await other.PutAsync($"/v1/workflows/{conductor}", NodeWorkflowApiTests.Document(conductor))).ShouldBe(HttpStatusCode.Forbidden);
        (await owner.PutAsync($"/v1/workflows/{conductor}", NodeWorkflowApiTests.Document(conductor))).ShouldBe(HttpStatusCode.Conflict);
        Assert.Equal("INLINE", (await owner.GetAsync($"/api/metadata/workflow/{conductor}")).Object["tasks"]![0]!["type"]!.GetValue<string>());

        // A deleted node workflow's name stays with those who had rights on it (its grants remain), as a Conductor name does.
        var id = Defs.Unique("deleted_node");
        (await owner.PostAsync("/v1/workflows", NodeWorkflowApiTests.Document(id))).ShouldBe(HttpStatusCode.Created);
        (await owner.DeleteAsync($"/v1/workflows/{id}")).ShouldBe(HttpStatusCode.OK);
        var squat = await other.PostAsync("/v1/workflows", NodeWorkflowApiTests.Document(id));
        squat.ShouldBe(HttpStatusCode.Conflict);
        Assert.Contains("belonged to a definition that was deleted", squat.Object["message"]!.GetValue<string>(), StringComparison.Ordinal);
        (await other.PutAsync($"/v1/workflows/{id}", NodeWorkflowApiTests.Document(id))).ShouldBe(HttpStatusCode.Conflict);
        (await owner.PostAsync("/v1/workflows", NodeWorkflowApiTests.Document(id))).ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_reader_without_create_rights_cannot_make_a_node_workflow()
    {
        var (_, reader) = await _users.UserAsync("READ_ONLY_USER");
        var id = Defs.Unique("readonly");
        var post = await reader.PostAsync("/v1/workflows", NodeWorkflowApiTests.Document(id));
        post.ShouldBe(HttpStatusCode.Forbidden);
        (await reader.PutAsync($"/v1/workflows/{id}", NodeWorkflowApiTests.Document(id))).ShouldBe(HttpStatusCode.Forbidden);
        (await reader.GetAsync("/v1/workflows")).ShouldBe(HttpStatusCode.OK);
        (await _users.Admin.GetAsync($"/v1/workflows/{id}")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Closing_a_node_workflows_runs_is_stored_where_run_visibility_reads_it()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var id = Defs.Unique("closed");
        var doc = NodeWorkflowApiTests.Document(id);
        doc["allowAnyoneToViewRuns"] = false;
        (await owner.PostAsync("/v1/workflows", doc)).ShouldBe(HttpStatusCode.Created);

        var compiled = (await owner.GetAsync($"/api/metadata/workflow/{id}")).Object;
        Assert.False(compiled["allowAnyoneToViewRuns"]!.GetValue<bool>());
        Assert.False((await owner.GetAsync($"/v1/workflows/{id}")).Object["workflow"]!["allowAnyoneToViewRuns"]!.GetValue<bool>());
    }
}
