using System.Text;
using System.Text.Json.Nodes;
using Baton.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Baton.EndToEnd.Infrastructure;

/// <summary>
/// The real server built in the test's own process (on loopback, real HTTP, a fresh data folder), so a test can read
/// its route table itself rather than a document about it.
/// </summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private InProcessServer(WebApplication app, string dataDir, string baseUrl)
    {
        App = app;
        DataDir = dataDir;
        BaseUrl = baseUrl;
    }

    public WebApplication App { get; }
    public string DataDir { get; }
    public string BaseUrl { get; }

    public static async Task<InProcessServer> StartAsync(string prefix)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        var app = BatonServer.Build(["--urls", "http://127.0.0.1:0", $"--Baton:DataDir={dataDir}"]);
        await app.StartAsync();
        var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new InProcessServer(app, dataDir, baseUrl);
    }

    /// <summary>Every mapped route.</summary>
    public IReadOnlyList<RouteEndpoint> Routes => [.. App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

    /// <summary>The first administrator's sign-in (<c>{"email","password"}</c>), from the file the server wrote.</summary>
    public JsonObject AdminCredentials()
    {
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(DataDir, "admin-credentials.json")))!;
        return new JsonObject { ["email"] = file["email"]!.GetValue<string>(), ["password"] = file["password"]!.GetValue<string>() };
    }

    /// <summary>A route pattern with every parameter replaced by <paramref name="value"/> (an int constraint keeps an int).</summary>
    public static string Concrete(string pattern, string value = "probe")
    {
        var text = new StringBuilder();
        var i = 0;
        while (i < pattern.Length)
        {
            if (pattern[i] != '{')
            {
                text.Append(pattern[i++]);
                continue;
            }
            var end = pattern.IndexOf('}', i);
            text.Append(pattern[i..end].Contains(":int", StringComparison.Ordinal) ? "1" : value);
            i = end + 1;
        }
        var path = text.ToString();
        return path.StartsWith('/') ? path : "/" + path;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Directory.Delete(DataDir, recursive: true);
    }
}
