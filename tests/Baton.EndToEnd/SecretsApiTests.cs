using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>The Orkes-shaped secrets API, sent exactly as the Orkes SDKs send it (a JSON-encoded string body).</summary>
[Collection(SharedServer.Name)]
public sealed class SecretsApiTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    private static string NewValue() => "v-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());

    private async Task<Reply> PutAsync(string name, string jsonBody, string contentType = "application/json", string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/secrets/{name}") { Content = new StringContent(jsonBody, Encoding.UTF8, contentType) };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        using var response = await _client.Http.SendAsync(request);
        return new Reply(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    private async Task<string> ReadBackAsync(string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/secrets/{name}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
        using var response = await _client.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task A_secret_put_as_a_json_string_reads_back_as_plain_text_and_exists()
    {
        var name = Defs.Unique("sec").Replace('_', '-');
        var value = "s3cr3t \"quoted\" " + NewValue();
        (await PutAsync(name, System.Text.Json.JsonSerializer.Serialize(value))).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(value, await ReadBackAsync(name));
        Assert.True((await _client.GetAsync($"/api/secrets/{name}/exists")).Json!.GetValue<bool>());
        Assert.False((await _client.GetAsync($"/api/secrets/nope-{name}/exists")).Json!.GetValue<bool>());
        Assert.Contains(name, (await _client.GetAsync("/api/secrets")).Array.Select(n => n!.GetValue<string>()));
        Assert.Contains(name, (await _client.PostAsync("/api/secrets")).Array.Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task Raw_text_and_json_object_bodies_are_accepted_too()
    {
        var text = Defs.Unique("txt").Replace('_', '-');
        var value = NewValue();
        (await PutAsync(text, value, "text/plain")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(value, await ReadBackAsync(text));

        var json = Defs.Unique("json").Replace('_', '-');
        (await PutAsync(json, $$"""{"username":"svc-user-1","password":"{{value}}"}""")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(value, JsonNode.Parse(await ReadBackAsync(json))!["password"]!.GetValue<string>());
    }

    [Fact]
    public async Task Versions_are_kept_with_metadata_only_and_check_and_set_refuses_a_stale_write()
    {
        var name = Defs.Unique("cas").Replace('_', '-');
        (await PutAsync(name, "\"" + NewValue() + "\"", ifMatch: "\"0\"")).ShouldBe(HttpStatusCode.OK);
        (await PutAsync(name, "\"" + NewValue() + "\"", ifMatch: "\"0\"")).ShouldBe(HttpStatusCode.PreconditionFailed);
        var second = NewValue();
        (await PutAsync(name, "\"" + second + "\"", ifMatch: "\"1\"")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(second, await ReadBackAsync(name));

        var versions = (await _client.GetAsync($"/api/secrets/{name}/versions")).Array;
        Assert.Equal([2, 1], versions.Select(v => v!["version"]!.GetValue<int>()));
        Assert.True(versions[0]!["current"]!.GetValue<bool>());
        Assert.DoesNotContain(second, versions.ToJsonString(), StringComparison.Ordinal);

        var metadata = (await _client.GetAsync($"/api/secrets/{name}/metadata")).Object;
        Assert.Equal(2, metadata["currentVersion"]!.GetValue<int>());
        Assert.DoesNotContain(second, metadata.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tags_are_set_read_and_removed_in_orkes_shape()
    {
        var name = Defs.Unique("tag").Replace('_', '-');
        (await PutAsync(name, "\"" + NewValue() + "\"")).ShouldBe(HttpStatusCode.OK);
        (await _client.PutAsync($"/api/secrets/{name}/tags", JsonNode.Parse("""[{"key":"env","value":"prod"},{"key":"team","value":"pay"}]"""))).ShouldBe(HttpStatusCode.OK);
        (await _client.PutAsync($"/api/secrets/{name}/tags", JsonNode.Parse("""[{"key":"env","value":"dev"}]"""))).ShouldBe(HttpStatusCode.OK);
        var tags = (await _client.GetAsync($"/api/secrets/{name}/tags")).Array.Select(t => $"{t!["key"]}:{t["value"]}").ToList();
        Assert.Equal(["env:dev", "team:pay"], tags);
        var withTags = (await _client.GetAsync("/api/secrets-v2")).Array.Single(s => s!["name"]!.GetValue<string>() == name)!;
        Assert.Equal(2, withTags["tags"]!.AsArray().Count);

        var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/secrets/{name}/tags") { Content = new StringContent("""[{"key":"team","value":"pay"}]""", Encoding.UTF8, "application/json") };
        Assert.Equal(HttpStatusCode.OK, (await _client.Http.SendAsync(request)).StatusCode);
        Assert.Single((await _client.GetAsync($"/api/secrets/{name}/tags")).Array);
    }

    [Fact]
    public async Task Delete_hides_a_secret_restore_brings_it_back_and_destroy_erases_a_version()
    {
        var name = Defs.Unique("del").Replace('_', '-');
        var first = NewValue();
        (await PutAsync(name, "\"" + first + "\"")).ShouldBe(HttpStatusCode.OK);
        (await PutAsync(name, "\"" + NewValue() + "\"")).ShouldBe(HttpStatusCode.OK);
        (await _client.DeleteAsync($"/api/secrets/{name}")).ShouldBe(HttpStatusCode.OK);
        Assert.False((await _client.GetAsync($"/api/secrets/{name}/exists")).Json!.GetValue<bool>());
        (await _client.GetAsync($"/api/secrets/{name}")).ShouldBe(HttpStatusCode.NotFound);
        (await _client.PostAsync($"/api/secrets/{name}/restore")).ShouldBe(HttpStatusCode.OK);
        Assert.True((await _client.GetAsync($"/api/secrets/{name}/exists")).Json!.GetValue<bool>());

        (await _client.DeleteAsync($"/api/secrets/{name}/versions/1")).ShouldBe(HttpStatusCode.OK);
        var versions = (await _client.GetAsync($"/api/secrets/{name}/versions")).Array;
        Assert.True(versions.Single(v => v!["version"]!.GetValue<int>() == 1)!["destroyed"]!.GetValue<bool>());
        (await _client.DeleteAsync($"/api/secrets/{name}/versions/1")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("bad.name", "\"long-enough-value\"", "application/json", HttpStatusCode.BadRequest, "may only contain")]
    [InlineData("short-one", "\"abc\"", "application/json", HttpStatusCode.BadRequest, "at least 8 characters")]
    [InlineData("not-json", "{broken", "application/json", HttpStatusCode.BadRequest, "JSON string, a JSON object")]
    [InlineData("number", "12345678", "application/json", HttpStatusCode.BadRequest, "JSON string or a JSON object")]
    public async Task Bad_writes_get_a_clear_4xx_and_change_nothing(string name, string body, string contentType, HttpStatusCode expected, string reason)
    {
        var reply = await PutAsync(name, body, contentType);
        reply.ShouldBe(expected);
        Assert.Contains(reason, reply.Text, StringComparison.Ordinal);
        Assert.False((await _client.GetAsync($"/api/secrets/{name}/exists")).Json?.GetValue<bool>() ?? false);
    }

    [Fact]
    public async Task An_oversized_value_is_413_naming_the_limit_and_the_previous_version_stays()
    {
        var name = Defs.Unique("big").Replace('_', '-');
        var kept = NewValue();
        (await PutAsync(name, "\"" + kept + "\"")).ShouldBe(HttpStatusCode.OK);
        var reply = await PutAsync(name, "\"" + new string('x', 70 * 1024) + "\"");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, reply.Status);
        Assert.Contains("65536 bytes", reply.Text, StringComparison.Ordinal);
        Assert.Equal(kept, await ReadBackAsync(name));
    }

    [Fact]
    public async Task Malformed_tags_name_the_element_at_fault()
    {
        var name = Defs.Unique("badtag").Replace('_', '-');
        (await PutAsync(name, "\"" + NewValue() + "\"")).ShouldBe(HttpStatusCode.OK);
        var reply = await _client.PutAsync($"/api/secrets/{name}/tags", JsonNode.Parse("""[{"key":"ok","value":"fine"},{"value":"no key"},"text"]"""));
        reply.ShouldBe(HttpStatusCode.BadRequest);
        var paths = reply.Object["validationErrors"]!.AsArray().Select(p => p!["path"]!.GetValue<string>()).ToList();
        Assert.Equal(["$[1].key", "$[2]"], paths);
        Assert.Empty((await _client.GetAsync($"/api/secrets/{name}/tags")).Array);
    }

    [Fact]
    public async Task Every_change_and_read_back_is_in_the_audit_log_without_the_value()
    {
        var name = Defs.Unique("aud").Replace('_', '-');
        var value = NewValue();
        (await PutAsync(name, "\"" + value + "\"")).ShouldBe(HttpStatusCode.OK);
        await ReadBackAsync(name);
        (await _client.DeleteAsync($"/api/secrets/{name}")).ShouldBe(HttpStatusCode.OK);
        var events = (await _client.GetAsync($"/api/audit?secret={name}")).Array;
        Assert.Equal(["delete", "read", "create"], events.Select(e => e!["action"]!.GetValue<string>()));
        Assert.DoesNotContain(value, events.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_administration_rotates_the_data_key_and_shows_no_key_material()
    {
        var before = (await _client.GetAsync("/api/admin/keys")).Object;
        var after = (await _client.PostAsync("/api/admin/keys/rotate")).Object;
        Assert.Equal(before["terms"]!.AsArray().Count + 1, after["terms"]!.AsArray().Count);
        Assert.StartsWith("mk:", after["masterKeyFingerprint"]!.GetValue<string>(), StringComparison.Ordinal);
        var name = Defs.Unique("rot").Replace('_', '-');
        var value = NewValue();
        (await PutAsync(name, "\"" + value + "\"")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(value, await ReadBackAsync(name));
    }

    [Fact]
    public async Task Restoring_a_version_refuses_the_current_one_a_destroyed_one_and_an_unknown_secret_with_reasons()
    {
        var name = "restorable-" + Guid.NewGuid().ToString("N")[..8];
        await _client.PutSecretAsync(name, "first-value-0001");
        await _client.PutSecretAsync(name, "second-value-0002");
        await _client.PutSecretAsync(name, "third-value-00003");
        (await _client.DeleteAsync($"/api/secrets/{name}/versions/1")).ShouldBe(HttpStatusCode.OK);

        var current = await _client.PostAsync($"/api/secrets/{name}/versions/3/restore");
        current.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("already the current one", current.Text, StringComparison.Ordinal);
        var destroyed = await _client.PostAsync($"/api/secrets/{name}/versions/1/restore");
        destroyed.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("version 1 has been destroyed", destroyed.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("first-value-0001", destroyed.Text, StringComparison.Ordinal);
        (await _client.PostAsync($"/api/secrets/no-such-{name}/versions/1/restore")).ShouldBe(HttpStatusCode.NotFound);

        var restored = await _client.PostAsync($"/api/secrets/{name}/versions/2/restore");
        restored.ShouldBe(HttpStatusCode.OK);
        Assert.Equal(4, restored.Object["version"]!.GetValue<int>());
        Assert.Equal("second-value-0002", (await _client.GetAsync($"/api/secrets/{name}")).Text);
        Assert.DoesNotContain("second-value-0002", restored.Text, StringComparison.Ordinal);
    }
}
