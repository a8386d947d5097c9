using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// Start-up failures of the real server process: non-zero exit, one line on standard error naming the problem and the
/// fix, no stack trace anywhere, and nothing in the data folder when the listener could not be bound. And the data
/// folder a server writes is owner-only throughout.
/// </summary>
public sealed class EdgeStartupTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "baton-edge-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task A_port_already_in_use_stops_the_start_with_one_line_and_writes_nothing()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var run = await RunServerAsync("--urls", $"http://127.0.0.1:{port}");

        Assert.True(run.ExitCode != 0, run.ToString());
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains("already in use", line, StringComparison.Ordinal);
        Assert.Contains("--urls", line, StringComparison.Ordinal);
        AssertNoStackTrace(run);
        if (Directory.Exists(_dataDir)) Assert.Fail("the data folder was created before the listener was bound: " + string.Join(", ", Directory.GetFileSystemEntries(_dataDir)));
    }

    [Theory]
    [InlineData("--Baton:MaxRequestBodyBytes=lots", "Baton:MaxRequestBodyBytes")]
    [InlineData("--Baton:Engine:SystemTaskConcurrency=many", "Baton:Engine:SystemTaskConcurrency")]
    [InlineData("--Baton:Engine:HttpMaxConnectionsPerPeer=0", "Baton:Engine:HttpMaxConnectionsPerPeer")]
    [InlineData("--Baton:TrustedProxies:0=the-proxy", "Baton:TrustedProxies")]
    public async Task A_malformed_setting_stops_the_start_with_one_line_naming_it_and_writes_nothing(string setting, string name)
    {
        using var free = new TcpListener(IPAddress.Loopback, 0);
        free.Start();
        var port = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();

        var run = await RunServerAsync("--urls", $"http://127.0.0.1:{port}", setting);

        Assert.True(run.ExitCode != 0, run.ToString());
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains(name, line, StringComparison.Ordinal);
        AssertNoStackTrace(run);
        Assert.False(Directory.Exists(_dataDir), "the data folder was written before the settings were read");
    }

    [Fact]
    public async Task A_wrong_master_key_stops_the_start_with_exit_code_2_and_no_stack_trace()
    {
        await using var server = await ServerProcess.StartAsync();
        await server.KillAsync();
        var otherKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => server.LaunchAsync($"--Baton:Secrets:MasterKey={otherKey}"));

        Assert.Contains("exited with code 2", failed.Message, StringComparison.Ordinal);
        Assert.Contains("Baton cannot start: The secrets keyring was sealed with master key", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(failed.Message.Split('\n'), l => IsStackFrame(l));
    }

    [Fact]
    public async Task The_data_folder_is_owner_only_and_so_is_every_file_in_it_database_and_wal_included()
    {
        if (OperatingSystem.IsWindows()) return; // no Unix file modes there
        await using var server = await ServerProcess.StartAsync();
        using var admin = new BatonClient(server);
        await admin.PutSecretAsync("mode_probe", "a value long enough to mask"); // the WAL holds a write

        var files = Directory.GetFiles(server.DataDir).Select(Path.GetFileName).ToList();
        Assert.Contains("baton.db", files);
        Assert.Contains("baton.db-wal", files);
        Assert.Contains("baton.db-shm", files);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(server.DataDir));
        foreach (var file in Directory.GetFiles(server.DataDir))
        {
            Assert.True(File.GetUnixFileMode(file) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{Path.GetFileName(file)} is {File.GetUnixFileMode(file)}");
        }
    }

    private static void AssertNoStackTrace(ServerRun run) =>
        Assert.False(run.Output.Concat(run.ErrorLines).Any(IsStackFrame), "a stack trace was printed:\n" + run);

    private static bool IsStackFrame(string line) => line.TrimStart().StartsWith("at ", StringComparison.Ordinal) && line.Contains('(', StringComparison.Ordinal)
        || line.Contains(" |    at ", StringComparison.Ordinal) || line.Contains("Unhandled exception", StringComparison.Ordinal);

    /// <summary>Runs the built server on a data folder that does not exist yet, until it exits by itself.</summary>
    private async Task<ServerRun> RunServerAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ServerDll());
        info.ArgumentList.Add($"--Baton:DataDir={_dataDir}");
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["DOTNET_gcServer"] = "0";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // a server that started would never end
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"the server started instead of stopping:\n{await output}\n{await error}");
        }
        return new ServerRun(process.ExitCode, Lines(await output), Lines(await error));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string ServerDll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Baton.slnx"))) root = root.Parent;
        return Path.Combine(root!.FullName, "src", "Baton.Server", "bin", configuration, "net10.0", "Baton.Server.dll");
    }

    private sealed record ServerRun(int ExitCode, string[] Output, string[] ErrorLines)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{string.Join('\n', Output)}\nstderr:\n{string.Join('\n', ErrorLines)}";
    }
}
