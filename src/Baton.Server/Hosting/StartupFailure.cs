using System.Text.RegularExpressions;
using Baton.Secrets.Service;
using Microsoft.AspNetCore.Connections;

namespace Baton.Server.Hosting;

/// <summary>
/// What stopped the server from starting, as one line naming the problem and what to do, and the exit code: 2 for
/// the master key (a wrong or unreadable key), 1 for anything else (the port, a setting, the data folder).
/// </summary>
public sealed partial record StartupFailure(string Message, int ExitCode)
{
    public static StartupFailure Of(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } one) e = one.InnerExceptions[0];
        return e switch
        {
            SecretsStartupException key => new(key.Message, 2),
            IOException { InnerException: AddressInUseException } inUse => new(
                $"{Sentence(inUse.Message)} Another process listens there (another Baton?): stop it, or choose another address with --urls (or the setting Baton:DefaultUrl).", 1),
            IOException bind when bind.Message.StartsWith("Failed to bind", StringComparison.Ordinal) => new(
                $"{Sentence(bind.Message)} Choose another address with --urls (or the setting Baton:DefaultUrl).", 1),
            InvalidOperationException setting when ConversionFailure().Match(setting.Message) is { Success: true } m => new(
                $"the setting {m.Groups["path"].Value} is not a valid {Friendly(m.Groups["type"].Value)}. Fix it in appsettings.json, the environment ({m.Groups["path"].Value.Replace(":", "__", StringComparison.Ordinal)}) or the command line (--{m.Groups["path"].Value}=...).", 1),
            UnauthorizedAccessException denied => new($"{Sentence(denied.Message)} Give the server's user access to its data folder, or choose another with --Baton:DataDir.", 1),
            _ => new($"{Sentence(e.Message)} ({e.GetType().Name})", 1),
        };
    }

    private static string Sentence(string message)
    {
        var line = message.ReplaceLineEndings(" ").Trim();
        return line.EndsWith('.') ? line : line + ".";
    }

    private static string Friendly(string type) => type switch
    {
        "System.Int32" or "System.Int64" => "whole number",
        "System.Boolean" => "true or false",
        "System.TimeSpan" => "duration (d.hh:mm:ss)",
        "System.Double" => "number",
        _ => type.Split('.')[^1],
    };

    [GeneratedRegex("at '(?<path>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex ConversionFailure();
}
