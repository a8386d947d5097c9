using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// A path that exists called with a method it does not have, or a body of a type it does not take, is answered as
/// HTTP means it (405 with Allow, 415 naming the accepted types) before any access rule, for anyone.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class EdgeRouteMismatchTests(ServerFixture fixture)
{
    [Fact]
    public async Task A_method_the_path_does_not_have_is_a_405_with_allow_for_admin_and_anonymous_alike()
    {
        using var anonymous = new BatonClient(fixture.Server.BaseUrl);
        foreach (var client in new[] { fixture.Client, anonymous })
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, "/api/secrets/some_name");
            using var response = await client.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{(int)response.StatusCode} {text}");
            Assert.Equal(["DELETE", "GET", "PUT"], response.Content.Headers.Allow.Order(StringComparer.Ordinal));
            Assert.Contains("PATCH", JsonNode.Parse(text)!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_secret_sent_as_curl_sends_a_body_with_no_type_given_is_a_415_naming_the_types_the_route_takes()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/secrets/untyped_{Guid.NewGuid():N}") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("a long enough value")) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded"); // curl -d without -H
        using var response = await fixture.Client.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{(int)response.StatusCode} {text}");
        var message = JsonNode.Parse(text)!["message"]!.GetValue<string>();
        Assert.Contains("application/json", message, StringComparison.Ordinal);
        Assert.Contains("text/plain", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/metadata/workflow")]
    [InlineData("/api/workflow")]
    public async Task A_json_route_posted_as_text_is_a_415_naming_json_for_admin_and_anonymous_alike(string path)
    {
        using var anonymous = new BatonClient(fixture.Server.BaseUrl);
        foreach (var client in new[] { fixture.Client, anonymous })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}", Encoding.UTF8) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            using var response = await client.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{path}: {(int)response.StatusCode} {text}");
            Assert.Contains("application/json", JsonNode.Parse(text)!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }
}
