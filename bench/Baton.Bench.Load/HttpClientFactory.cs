using System.Net;

namespace Baton.Bench.Load;

/// <summary>The one HttpClient every call shares: pooled connections sized for the clients, no proxy, no cookies.</summary>
internal static class HttpClientFactory
{
    public static HttpClient Create(int clients, TimeSpan requestTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            // Every client keeps its own connection; a little headroom for setup calls.
            MaxConnectionsPerServer = clients + 8,
            PooledConnectionLifetime = TimeSpan.FromHours(1),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        return new HttpClient(handler, disposeHandler: true) { Timeout = requestTimeout };
    }
}
