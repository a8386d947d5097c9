using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Baton.Testing;

/// <summary>
/// The real Baton server as a child process on a loopback port, with its own data folder. It can be killed
/// (SIGKILL) and started again on the same folder. Everything it prints is kept for the test to read.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly Lock _outputGate = new();
    private string[] _extraArgs;
    private Process? _process;

    private ServerProcess(string dataDir, string[] extraArgs)
    {
        DataDir = dataDir;
        _extraArgs = extraArgs;
        Port = FreePort();
        BaseUrl = $"http://127.0.0.1:{Port}";
    }

    public string DataDir { get; }

    /// <summary>The first administrator's sign-in (<c>{"email","password"}</c>), read from the file the server wrote on its first start.</summary>
    public System.Text.Json.Nodes.JsonObject AdminCredentials()
    {
        var file = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(DataDir, "admin-credentials.json")))!;
        return new System.Text.Json.Nodes.JsonObject { ["email"] = file["email"]!.GetValue<string>(), ["password"] = file["password"]!.GetValue<string>() };
    }
    public int Port { get; }
    public string BaseUrl { get; }

    public string Output
    {
        get { lock (_outputGate) return _output.ToString(); }
    }

    public static async Task<ServerProcess> StartAsync(params string[] extraArgs)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "baton-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDir);
        var server = new ServerProcess(dataDir, extraArgs);
        await server.LaunchAsync();
        return server;
    }

    /// <summary>Starts the server again on the same data folder, with other extra arguments.</summary>
    public Task LaunchAsync(params string[] extraArgs)
    {
        _extraArgs = extraArgs;
        return LaunchAsync();
    }

    public async Task LaunchAsync()
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ServerDll());
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(BaseUrl);
        info.ArgumentList.Add($"--Baton:DataDir={DataDir}");
        foreach (var arg in _extraArgs) info.ArgumentList.Add(arg);
        info.Environment["DOTNET_gcServer"] = "0";
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitUntilReadyAsync();
    }

    /// <summary>Kills the process at once (SIGKILL): nothing is flushed, nothing shuts down cleanly.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process is { HasExited: true })
            {
                // HasExited can be true before the last output lines are read; WaitForExit() waits for them.
                _process.WaitForExit();
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode} while starting:\n{Output}");
            }
            try
            {
                using var response = await client.GetAsync(new Uri($"{BaseUrl}/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The server did not become ready within 60 s:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_outputGate) _output.AppendLine(line);
    }

    /// <summary>The server built beside the tests: src/Baton.Server/bin/{Configuration}/net10.0/Baton.Server.dll.</summary>
    private static string ServerDll()
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var root = new DirectoryInfo(here);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Baton.slnx"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException($"Cannot find the repository root above {here}");
        var dll = Path.Combine(root.FullName, "src", "Baton.Server", "bin", configuration, "net10.0", "Baton.Server.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"Build the server first: {dll} is missing", dll);
        return dll;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder.
        }
    }
}
