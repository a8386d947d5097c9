using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.Nodes;

/// <summary>/v1/workflows on the real server: Port's shapes, versions, conflicts, every problem with its path, and the one catalogue it shares with the Conductor face.</summary>
[Collection(SharedServer.Name)]
public sealed class NodeWorkflowApiTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    /// <summary>The seed's first example behind a manual trigger.</summary>
    internal static JsonObject Document(string identifier, string url = "https://example.com/webhook") => Defs.Parse($$$"""
        {
          "identifier": "{{{identifier}}}",
          "title": "Notify on demand",
          "icon": "Workflow",
          "nodes": [
            { "identifier": "trigger", "config": { "type": "SELF_SERVE_TRIGGER",
                                                   "userInputs": { "properties": { "message": { "type": "string" } }, "required": ["message"] } } },
            { "identifier": "send_webhook", "title": "Send webhook",
              "config": { "type": "WEBHOOK", "url": "{{{url}}}", "method": "POST", "synchronized": true,
                          "headers": { "Authorization": "Bearer {{ .secrets.MY_API_TOKEN }}" },
                          "body": { "message": "{{ .outputs.trigger.message }}" } } }
          ],
          "connections": [ { "sourceIdentifier": "trigger", "targetIdentifier": "send_webhook" } ]
        }
        """);

    [Fact]
    public async Task A_node_workflow_is_created_read_versioned_listed_and_deleted_in_ports_shapes()
    {
        var id = Defs.Unique("nodes");
        var created = await _client.PostAsync("/v1/workflows", Document(id));
        created.ShouldBe(HttpStatusCode.Created);
        Assert.True(created.Object["ok"]!.GetValue<bool>());
        var v1 = created.Object["workflow"]!;
        Assert.Equal(id, v1["identifier"]!.GetValue<string>());
        Assert.Equal(1, v1["version"]!.GetValue<int>());
        Assert.True(v1["allowAnyoneToViewRuns"]!.GetValue<bool>());
        Assert.Equal("Bearer {{ .secrets.MY_API_TOKEN }}", v1["nodes"]![1]!["config"]!["headers"]!["Authorization"]!.GetValue<string>());
        Assert.NotNull(v1["createdBy"]);
        Assert.EndsWith("Z", v1["createdAt"]!.GetValue<string>(), StringComparison.Ordinal);

        var read = await _client.GetAsync($"/v1/workflows/{id}");
        read.ShouldBe(HttpStatusCode.OK);
        Assert.True(JsonNode.DeepEquals(v1, read.Object["workflow"]));

        // PUT stores a new version; the document sent back with the server's fields is read without them.
        var changed = v1.DeepClone().AsObject();
        changed["nodes"]![1]!["config"]!["url"] = "https://example.com/other";
        var updated = await _client.PutAsync($"/v1/workflows/{id}", changed);
        updated.ShouldBe(HttpStatusCode.OK);
        Assert.Equal(2, updated.Object["workflow"]!["version"]!.GetValue<int>());
        Assert.Equal(v1["createdAt"]!.GetValue<string>(), updated.Object["workflow"]!["createdAt"]!.GetValue<string>());

        Assert.Equal("https://example.com/other", (await _client.GetAsync($"/v1/workflows/{id}")).Object["workflow"]!["nodes"]![1]!["config"]!["url"]!.GetValue<string>());
        Assert.Equal("https://example.com/webhook", (await _client.GetAsync($"/v1/workflows/{id}?version=1")).Object["workflow"]!["nodes"]![1]!["config"]!["url"]!.GetValue<string>());
        var missingVersion = await _client.GetAsync($"/v1/workflows/{id}?version=3");
        missingVersion.ShouldBe(HttpStatusCode.NotFound);

        var list = await _client.GetAsync("/v1/workflows");
        list.ShouldBe(HttpStatusCode.OK);
        Assert.True(list.Object["ok"]!.GetValue<bool>());
        var mine = Assert.Single(list.Object["workflows"]!.AsArray(), w => w!["identifier"]!.GetValue<string>() == id)!;
        Assert.Equal(2, mine["version"]!.GetValue<int>());

        var deleted = await _client.DeleteAsync($"/v1/workflows/{id}");
        deleted.ShouldBe(HttpStatusCode.OK);
        Assert.True(deleted.Object["ok"]!.GetValue<bool>());
        var gone = await _client.GetAsync($"/v1/workflows/{id}");
        gone.ShouldBe(HttpStatusCode.NotFound);
        Assert.False(gone.Object["ok"]!.GetValue<bool>());
        Assert.Equal("not_found", gone.Object["error"]!.GetValue<string>());
        (await _client.GetAsync($"/v1/workflows/{id}?version=1")).ShouldBe(HttpStatusCode.NotFound);
        (await _client.GetAsync($"/api/metadata/workflow/{id}?version=1")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Put_creates_a_workflow_that_does_not_exist_and_takes_its_identifier_from_the_path()
    {
        var id = Defs.Unique("upsert");
        var doc = Document(id);
        doc.Remove("identifier");

        var reply = await _client.PutAsync($"/v1/workflows/{id}", doc);

        reply.ShouldBe(HttpStatusCode.Created);
        Assert.Equal(1, reply.Object["workflow"]!["version"]!.GetValue<int>());
        Assert.Equal(id, reply.Object["workflow"]!["identifier"]!.GetValue<string>());
        var other = await _client.PutAsync($"/v1/workflows/{id}", Document(Defs.Unique("other")));
        other.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Equal("$.identifier", other.Object["validationErrors"]![0]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_taken_identifier_is_a_conflict_and_a_name_stays_in_its_format()
    {
        var id = Defs.Unique("taken");
        (await _client.PostAsync("/v1/workflows", Document(id))).ShouldBe(HttpStatusCode.Created);
        var again = await _client.PostAsync("/v1/workflows", Document(id));
        again.ShouldBe(HttpStatusCode.Conflict);
        Assert.False(again.Object["ok"]!.GetValue<bool>());
        Assert.Equal("conflict", again.Object["error"]!.GetValue<string>());

        var conductor = Defs.Unique("conductor");
        await _client.RegisterWorkflowAsync(Defs.Workflow(conductor, Defs.Simple("work")));
        var post = await _client.PostAsync("/v1/workflows", Document(conductor));
        post.ShouldBe(HttpStatusCode.Conflict);
        Assert.Contains("is a Conductor workflow definition", post.Object["message"]!.GetValue<string>(), StringComparison.Ordinal);
        (await _client.PutAsync($"/v1/workflows/{conductor}", Document(conductor))).ShouldBe(HttpStatusCode.Conflict);
        (await _client.GetAsync($"/v1/workflows/{conductor}")).ShouldBe(HttpStatusCode.NotFound);
        (await _client.DeleteAsync($"/v1/workflows/{conductor}")).ShouldBe(HttpStatusCode.NotFound);
        (await _client.GetAsync($"/api/metadata/workflow/{conductor}")).ShouldBe(HttpStatusCode.OK);

        var overwrite = Defs.Workflow(id, Defs.Simple("work"));
        var conductorOverNode = await _client.PostAsync("/api/metadata/workflow?overwrite=true", overwrite);
        conductorOverNode.ShouldBe(HttpStatusCode.Conflict);
        Assert.Contains($"PUT /v1/workflows/{id}", conductorOverNode.Object["message"]!.GetValue<string>(), StringComparison.Ordinal);
        overwrite["version"] = 2;
        (await _client.PutAsync("/api/metadata/workflow", new JsonArray(overwrite))).ShouldBe(HttpStatusCode.Conflict);
        Assert.Equal(1, (await _client.GetAsync($"/v1/workflows/{id}")).Object["workflow"]!["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task Every_problem_comes_back_at_once_with_its_path()
    {
        var doc = Document("bad identifier");
        doc["nodes"]!.AsArray().Add(Defs.Parse("""{"identifier": "publish", "config": {"type": "KAFKA", "payload": "text"}}"""));
        doc["nodes"]!.AsArray().Add(Defs.Parse("""{"identifier": "entity", "config": {"type": "UPSERT_ENTITY"}}"""));
        doc["nodes"]!.AsArray().Add(Defs.Parse("""{"identifier": "nightly", "config": {"type": "SCHEDULE_TRIGGER", "cron": "* * * * *"}}"""));
        doc["connections"]!.AsArray().Add(Defs.Parse("""{"sourceIdentifier": "send_webhook", "targetIdentifier": "ghost"}"""));
        doc["connections"]!.AsArray().Add(Defs.Parse("""{"sourceIdentifier": "publish", "targetIdentifier": "trigger"}"""));

        var reply = await _client.PostAsync("/v1/workflows", doc);

        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.False(reply.Object["ok"]!.GetValue<bool>());
        Assert.Equal("invalid_request", reply.Object["error"]!.GetValue<string>());
        var problems = reply.Object["validationErrors"]!.AsArray().ToDictionary(p => p!["path"]!.GetValue<string>(), p => p!["message"]!.GetValue<string>());
        Assert.Equal(
            ["$.connections[1].targetIdentifier", "$.connections[2].targetIdentifier", "$.identifier", "$.nodes[2].config.payload", "$.nodes[3].config.type", "$.nodes[4].config.cron"],
            problems.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("UPSERT_ENTITY", problems["$.nodes[3].config.type"], StringComparison.Ordinal);
        Assert.Contains("5 minutes", problems["$.nodes[4].config.cron"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_json_and_bodies_that_are_not_workflows_are_400s()
    {
        (await _client.SendRawAsync(HttpMethod.Post, "/v1/workflows", "{\"identifier\": ")).ShouldBe(HttpStatusCode.BadRequest);
        var array = await _client.PostAsync("/v1/workflows", new JsonArray());
        array.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Equal("$", array.Object["validationErrors"]![0]!["path"]!.GetValue<string>());
        var reserved = await _client.PostAsync("/v1/workflows", Document("runs"));
        reserved.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Equal("$.identifier", reserved.Object["validationErrors"]![0]!["path"]!.GetValue<string>());
        Assert.Contains("a word of the API's paths", reserved.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_value_written_into_a_node_is_refused_as_in_a_conductor_definition()
    {
        var value = $"node-literal-{Guid.NewGuid():N}";
        var secret = await _client.NewSecretAsync(value);
        var doc = Document(Defs.Unique("leak"));
        doc["nodes"]![1]!["config"]!["headers"]!["Authorization"] = "Bearer " + value;

        var reply = await _client.PostAsync("/v1/workflows", doc);

        reply.ShouldBe(HttpStatusCode.BadRequest);
        var problem = Assert.Single(reply.Object["validationErrors"]!.AsArray())!;
        Assert.Equal("$.nodes[1].config.headers.Authorization", problem["path"]!.GetValue<string>());
        Assert.Contains($"{{{{ .secrets[\"{secret}\"] }}}}", problem["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(value, reply.Text, StringComparison.Ordinal);
        (await _client.GetAsync($"/v1/workflows/{doc["identifier"]}")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_node_workflow_is_listed_where_conductor_definitions_are_in_its_compiled_form_and_that_face_cannot_write_one()
    {
        var id = Defs.Unique("both");
        (await _client.PostAsync("/v1/workflows", Document(id))).ShouldBe(HttpStatusCode.Created);

        var listed = (await _client.GetAsync("/api/metadata/workflow")).Array.Single(d => d!["name"]!.GetValue<string>() == id)!.AsObject();
        Assert.Equal(["NODE_TRIGGER", "NODE_WEBHOOK"], listed["tasks"]!.AsArray().Select(t => t!["type"]!.GetValue<string>()));
        Assert.Equal("send_webhook", listed["tasks"]![0]!["next"]!.GetValue<string>());
        Assert.Equal(id, listed["nodeWorkflow"]!["identifier"]!.GetValue<string>());
        var compiled = (await _client.GetAsync($"/api/metadata/workflow/{id}")).Object;
        Assert.True(JsonNode.DeepEquals(listed, compiled));

        // Written back through the Conductor face, under any name, it is refused: only /v1/workflows vouches for node tasks.
        compiled["name"] = Defs.Unique("copy");
        var copy = await _client.PostAsync("/api/metadata/workflow", compiled);
        copy.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains(copy.Object["validationErrors"]!.AsArray(), p => p!["path"]!.GetValue<string>().EndsWith(".nodeWorkflow", StringComparison.Ordinal));
        var handWritten = Defs.Workflow(Defs.Unique("hand"), new JsonObject { ["name"] = "w", ["taskReferenceName"] = "w", ["type"] = "NODE_WEBHOOK" });
        var refused = await _client.PostAsync("/api/metadata/workflow/validate", handWritten);
        refused.ShouldBe(HttpStatusCode.BadRequest);
        var problem = Assert.Single(refused.Object["validationErrors"]!.AsArray())!;
        Assert.Equal("$.tasks[0].type", problem["path"]!.GetValue<string>());
        Assert.Contains("node task types exist only in node workflows, saved through /v1/workflows", problem["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(refused.Object["ok"]);
    }
}
