using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Baton.Testing;

/// <summary>
/// A PostgreSQL server of a test's own, in a temporary folder on a free loopback port, that the test may stop and start
/// again (the shared one of BATON_TEST_POSTGRES must stay up for the others). Uses Debian's binaries as
/// scripts/test.sh does; PostgreSQL refuses to run as root, so it runs as the postgres user when the test runs as root.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string _folder;
    private readonly string _bin;

    private ThrowawayPostgres(string folder, string bin, int port)
    {
        _folder = folder;
        _bin = bin;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=baton;Database=postgres;Timeout=3;Command Timeout=10";

    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault()
            : null;
        if (bin is null) throw new InvalidOperationException("PostgreSQL's binaries are missing (/usr/lib/postgresql/*/bin/initdb): run scripts/test.sh, which installs them.");
        var folder = Path.Combine(Path.GetTempPath(), "baton-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var server = new ThrowawayPostgres(folder, bin, FreePort());
        await RunAsync("chown", "postgres", folder);
        await server.AsPostgresAsync("initdb", "-D", server.DataFolder, "-A", "trust", "-U", "baton");
        await server.StartAgainAsync();
        return server;
    }

    private string DataFolder => Path.Combine(_folder, "data");

    public Task StartAgainAsync() => AsPostgresAsync("pg_ctl", "-D", DataFolder, "-l", Path.Combine(_folder, "log"), "-w", "start",
        "-o", $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1");

    /// <summary>Stops the server at once (fast shutdown: clients are disconnected, nothing committed is lost).</summary>
    public Task StopAsync() => AsPostgresAsync("pg_ctl", "-D", DataFolder, "-m", "fast", "-w", "stop");

    private Task AsPostgresAsync(string tool, params string[] args) => Environment.UserName == "root"
        ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args])
        : RunAsync(Path.Combine(_bin, tool), args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await AsPostgresAsync("pg_ctl", "-D", DataFolder, "-m", "immediate", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        Directory.Delete(_folder, recursive: true);
    }
}
