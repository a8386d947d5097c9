using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Baton.Jq.Tests;

/// <summary>Debian's jq 1.6 (/usr/bin/jq, installed by scripts/test.sh), run as a real process.</summary>
internal static class JqCli
{
    public const string Path = "/usr/bin/jq";

    public static void RequireInstalled() =>
        Assert.True(File.Exists(Path), $"{Path} is missing: these tests compare with Debian's jq 1.6 (scripts/test.sh installs it with apt)");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string[] args, string stdin)
    {
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // jq stopped reading (a compile error, or it crashed): its exit code says so.
        }
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            throw new TimeoutException($"jq did not finish: {string.Join(' ', args)}");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Every output line of jq -c as a JSON value.</summary>
    public static List<JsonNode?> ParseLines(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)).ToList();
}
