using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// The README runs as written: every <c>sh</c> block after the quick start (which starts the server and the tests
/// themselves) runs in order in one bash, against a real server on a fresh data folder, with its port, the echo
/// service's port and the data folder substituted. A command that fails, or an example whose run does not end as the
/// README shows, fails the test.
/// </summary>
public sealed partial class ReadmeTests : OwnServerTests
{
    [Fact]
    public async Task Every_readme_command_runs_as_written_against_a_fresh_server()
    {
        var blocks = ShellBlocks(await File.ReadAllTextAsync(ReadmePath())).Skip(1).ToList();
        Assert.True(blocks.Count >= 8, $"expected the README's walk-throughs, found {blocks.Count} sh blocks");
        var echoPort = FreePort();
        var nodeEchoPort = FreePort();
        // Every call that answers an HTTP error fails the script, as a failed command would.
        var script = new StringBuilder("set -euo pipefail\ncurl() { command curl --fail-with-body \"$@\"; }\n");
        foreach (var block in blocks) script.Append(block).Append('\n');
        script.Append("echo README-DONE\n");
        var text = script.ToString()
            .Replace("http://127.0.0.1:8080", Server.BaseUrl, StringComparison.Ordinal)
            .Replace("127.0.0.1\", 8081", $"127.0.0.1\", {echoPort}", StringComparison.Ordinal)
            .Replace("127.0.0.1:8081", $"127.0.0.1:{echoPort}", StringComparison.Ordinal)
            .Replace("127.0.0.1\", 8082", $"127.0.0.1\", {nodeEchoPort}", StringComparison.Ordinal)
            .Replace("127.0.0.1:8082", $"127.0.0.1:{nodeEchoPort}", StringComparison.Ordinal)
            .Replace("\"data/", $"\"{Server.DataDir}/", StringComparison.Ordinal);

        var (exit, output) = await RunBashAsync(text, TimeSpan.FromSeconds(120));

        Assert.True(exit == 0 && output.Contains("README-DONE", StringComparison.Ordinal), $"the README's commands failed (exit {exit}):\n{output}");
        Assert.Contains("\"message\":\"UP from Baton\"", output, StringComparison.Ordinal);
        Assert.Contains("\"thumbnail\":\"/thumbs/cat.png\"", output, StringComparison.Ordinal);
        Assert.Contains("{'shape': {'sides': ['left', 'right'], 'ticks': [10, 20, 30]}}", output, StringComparison.Ordinal);
        Assert.Contains("\"scheduleName\":\"hello_every_5s\"", output, StringComparison.Ordinal);
        Assert.Contains("{'echoed': 'Bearer ***'}", output, StringComparison.Ordinal);
        Assert.Contains("\"Authorization\":\"Bearer ${workflow.secrets.api-token}\"", output, StringComparison.Ordinal);
        Assert.Contains("COMPLETED SUCCESS {'authorization': '***', 'message': 'deployed'}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("n0de-T0ken-value", output.Replace("\"secretValue\": \"n0de-T0ken-value\"", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-T0ken-value", output.Replace("-d '\"s3cr3t-T0ken-value\"'", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    /// <summary>The bodies of the README's <c>```sh</c> blocks, in order.</summary>
    private static IEnumerable<string> ShellBlocks(string markdown) =>
        ShellBlock().Matches(markdown).Select(m => m.Groups[1].Value);

    [GeneratedRegex(@"^```sh\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    private static async Task<(int Exit, string Output)> RunBashAsync(string script, TimeSpan limit)
    {
        var path = Path.Combine(Path.GetTempPath(), $"baton-readme-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(path, script);
        using var process = new Process
        {
            StartInfo = new ProcessStartInfo("bash", [path]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false },
        };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine("stderr: " + e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            lock (output) output.AppendLine($"(killed after {limit.TotalSeconds:0} s)");
        }
        finally
        {
            File.Delete(path);
        }
        lock (output) return (process.ExitCode, output.ToString());
    }

    private static string ReadmePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "README.md");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Baton.slnx"))) return candidate;
        }
        throw new FileNotFoundException("README.md not found above the test's folder");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
