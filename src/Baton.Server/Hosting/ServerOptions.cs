namespace Baton.Server.Hosting;

/// <summary>Server settings (configuration section <c>Baton</c>).</summary>
public sealed class ServerOptions
{
    /// <summary>The data folder (database, keys). Relative paths are taken from the working directory.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>Where the server listens when no <c>--urls</c> is given: loopback only.</summary>
    public string DefaultUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>
    /// The proxies (addresses, or networks as <c>10.0.0.0/24</c>) whose <c>X-Forwarded-For</c> and
    /// <c>X-Forwarded-Proto</c> are believed: a request from one of them is taken to come from the client it names,
    /// so sign-in throttling counts each client's address, not the proxy's. Empty (the default): no forwarded header is
    /// believed, so no client can pass for another address by sending one.
    /// </summary>
    public IReadOnlyList<string> TrustedProxies { get; set; } = [];

    /// <summary>The networks of <see cref="TrustedProxies"/>; an entry that is not an address or a network stops the start, naming it.</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxyNetworks() => [.. TrustedProxies.Select(ProxyNetwork)];

    private static System.Net.IPNetwork ProxyNetwork(string entry)
    {
        var text = entry.Trim();
        if (System.Net.IPNetwork.TryParse(text, out var network)) return network;
        if (System.Net.IPAddress.TryParse(text, out var address))
        {
            return new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32);
        }
        throw new ArgumentException($"the setting Baton:TrustedProxies has '{entry}', which is neither an IP address nor a network such as 10.0.0.0/24.");
    }
}
