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
}
