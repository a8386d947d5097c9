using System.Globalization;
using Npgsql;

namespace Baton.Bench.Hangfire;

/// <summary>Command-line options of the Hangfire comparison bench; every number has bounds, a bad one names its flag.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        Hangfire on PostgreSQL, the comparison point of issue 18: C producers each keep one three-step chain in flight
        (job: HTTP POST to a local echo peer; continuation: compute on its result; continuation: HTTP POST again) on
        Hangfire's server running in this process. Prints one JSON line at the end.

        usage: Baton.Bench.Hangfire --postgres "CONNECTION STRING" [options]

          --postgres CS        PostgreSQL connection string (Hangfire installs its schema there when it is missing)
          --workers N          Hangfire worker count (default 20; Hangfire's own default is min(20, cores * 5))
          --clients C          producers, each with one chain in flight (default 32)
          --duration S         measured seconds (default 15)
          --warmup S           seconds run first and not counted (default 5)
          --queue-poll-ms MS   PostgreSqlStorageOptions.QueuePollInterval (default 100; the package's default is
                               15000, its lowest allowed 50)
          --long-polling       PostgreSqlStorageOptions.EnableLongPolling: LISTEN/NOTIFY wakes idle workers
          --create MODE        how a chain's jobs are created: held (default: the first job is created scheduled,
                               its two continuations attached, then it is enqueued) or enqueued (Hangfire's idiom:
                               Enqueue, then ContinueJobWith twice, racing the workers for the parent's state lock)
          --schema NAME        the Hangfire schema (default hangfire)
          --chain-timeout S    a chain not done after this many seconds counts as an error (default 60)
        """;

    public string? Postgres { get; private set; }

    public int Workers { get; private set; } = 20;

    public int Clients { get; private set; } = 32;

    public int DurationSeconds { get; private set; } = 15;

    public int WarmupSeconds { get; private set; } = 5;

    public int QueuePollMs { get; private set; } = 100;

    public bool LongPolling { get; private set; }

    /// <summary>The first job is held back until its continuations are attached (--create held).</summary>
    public bool Held { get; private set; } = true;

    public string Schema { get; private set; } = "hangfire";

    public int ChainTimeoutSeconds { get; private set; } = 60;

    public bool ShowHelp { get; private set; }

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Number(int min, int max)
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                    ? n
                    : throw new ArgumentException($"{name}: '{text}' is not a whole number from {min} to {max}");
            }

            switch (name)
            {
                case "--postgres": options.Postgres = ConnectionString(name, Value()); break;
                case "--workers": options.Workers = Number(1, 1000); break;
                case "--clients": options.Clients = Number(1, 10_000); break;
                case "--duration": options.DurationSeconds = Number(1, 3600); break;
                case "--warmup": options.WarmupSeconds = Number(0, 3600); break;
                case "--queue-poll-ms": options.QueuePollMs = Number(50, 60_000); break;
                case "--long-polling": options.LongPolling = true; break;
                case "--create":
                    options.Held = Value() switch
                    {
                        "held" => true,
                        "enqueued" => false,
                        var other => throw new ArgumentException($"--create: '{other}' is neither held nor enqueued"),
                    };
                    break;
                case "--schema": options.Schema = Identifier(name, Value()); break;
                case "--chain-timeout": options.ChainTimeoutSeconds = Number(1, 3600); break;
                case "--help" or "-h": options.ShowHelp = true; break;
                default: throw new ArgumentException($"unknown option '{name}'");
            }
        }

        if (!options.ShowHelp && string.IsNullOrWhiteSpace(options.Postgres))
        {
            throw new ArgumentException("--postgres is required");
        }

        return options;
    }

    private static string ConnectionString(string name, string text)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(text);
            return text;
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{name}: not a PostgreSQL connection string ({ex.Message})", ex);
        }
    }

    private static string Identifier(string name, string text) =>
        text.Length is > 0 and <= 63 && text.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') && !char.IsAsciiDigit(text[0])
            ? text
            : throw new ArgumentException($"{name}: '{text}' is not a lower-case identifier of at most 63 characters");
}
