using System.Globalization;

namespace Baton.Bench.Load;

/// <summary>Command-line options. Variants (secret headers, application auth) are plain flags so later issues only add a case here.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        Baton load benchmark: C clients run bench_three_step (HTTP, INLINE, HTTP) through synchronous execute.

        usage: Baton.Bench.Load --server URL [options]
               Baton.Bench.Load --peer-only [options]

          --server URL          Baton server base URL, e.g. http://127.0.0.1:18080
          --servers URL1,URL2   several nodes of one cluster (one database): client i talks to server i % n
          --server-pids P1,P2   the nodes' processes, in the order of --servers: report where the time goes (CPU
                                per workflow of each node, of PostgreSQL with --postgres-pid, of this generator,
                                of the rest of the machine, and idle) as one table, median of the phases
          --postgres-pid PID    the postmaster (first line of DATA/postmaster.pid): PostgreSQL's CPU is its own,
                                its exited children's and every live child's
          --cluster-targets F   a JSON list of configurations [{"name","servers":[URL],"pids":[PID],"keyId",
                                "keySecret","storage":"sqlite"|"postgres"}] measured in one run (scripts/bench.sh --cluster): each warmed up, then
                                rounds of all in order and in reverse; one table of medians
          --clients N           concurrent clients (default 64)
          --duration S          measured seconds (default 20)
          --warmup S            warm-up seconds, not counted (default 5)
          --wait-seconds S      waitForSeconds for execute (default 10)
          --peer-only           measure only the echo peer (the ceiling) and exit
          --compare-secrets K   in one run, alternate the plain workflow (K literal headers) and one whose
                                HTTP headers all come from K secrets (each warmed up, then rounds of plain,
                                secrets, secrets, plain) and report the ratio
          --control             with --compare-secrets: the second slot runs the plain workflow too (an A/A
                                check of the method: it should report about 100 %)
          --swap-versions       with --compare-secrets: register the plain workflow as version 2 and the
                                secrets one as version 1 (the slots stay in order); the geometric mean with
                                an unswapped run cancels any advantage of one version's place in the indexes
          --rounds N            rounds of first, second, second, first in a comparison (default 3); with
                                --cluster-targets, rounds of every configuration in order and then in reverse
          --baseline-server URL a second Baton server built without access control (scripts/bench.sh
                                --compare-auth); alternate the same workflow authenticated against --server
                                and unauthenticated against this one (rounds of auth, baseline, baseline, auth) and
                                report the ratio. Needs --token or --key-id/--key-secret
          --baseline-pid PID    the baseline server's process, to report its CPU per workflow too
          --baseline-key-id ID, --baseline-key-secret S
                                the baseline is another build of Baton with access control (scripts/bench.sh
                                --compare-build REV): sign in to it with this key; the report then compares
                                this build's rate with that build's
          --skip-peer           do not measure the echo peer
          --server-pid PID      sample the server's VmRSS/VmHWM (idle before, every 250 ms during)
          --json FILE           also write the numbers as JSON
          --check-targets       exit 3 when a target is missed (>= 1000 wf/s, p99 < 100 ms, RSS < 150/512 MB)
        variants:
          --compare-node        alternate the three-step workflow with its node-format version (trigger, WEBHOOK,
                                CONDITION, WEBHOOK; POST /v1/workflows/{id}/runs) and report the ratio
          --compare-kafka       alternate a trigger and a KAFKA node with the same workflow whose node is a no-op
                                CONDITION (scripts/bench.sh --kafka starts a broker and the server with it)
          --console-pages       seed R runs and S secrets (--console-runs R, default 10000; --console-secrets S,
                                default 1000), then time each console list and detail page (--console-samples N,
                                default 20, after 3 warm-ups) with the console's cookie; target: median < 100 ms
          --shape NAME          three-step (default), fork10 (FORK_JOIN of 10 HTTP calls, JOIN, INLINE) or
                                loop10 (DO_WHILE of 10 HTTP calls, INLINE); every shape ends with d = 2n
          --secret-headers K    HTTP tasks send K headers X-Secret-i: ${workflow.secrets.bench-secret-i};
                                the secrets are PUT first with random values and the peer checks them
          --token JWT           send X-Authorization: JWT on every server call
          --key-id ID --key-secret SECRET
                                obtain the token via POST /api/token first
        """;

    public Uri? Server { get; private set; }

    /// <summary>Every server the load is spread over (just <see cref="Server"/> unless --servers named several).</summary>
    public IReadOnlyList<Uri> Servers { get; private set; } = [];

    public IReadOnlyList<int> ServerPids { get; private set; } = [];

    public int? PostgresPid { get; private set; }

    public string? ClusterTargetsPath { get; private set; }

    /// <summary>Report the time split table (several configurations, or one given by its processes).</summary>
    public bool TimeSplit => ClusterTargetsPath is not null || ServerPids.Count > 0;

    public int Clients { get; private set; } = 64;

    public int DurationSeconds { get; private set; } = 20;

    public int WarmupSeconds { get; private set; } = 5;

    public int WaitForSeconds { get; private set; } = 10;

    public bool PeerOnly { get; private set; }

    public int CompareSecrets { get; private set; }

    /// <summary>Alternate the Conductor-format three-step workflow with its node-format version.</summary>
    public bool CompareNode { get; private set; }

    /// <summary>Alternate a trigger and a KAFKA node with a trigger and a no-op node (the server must have brokers).</summary>
    public bool CompareKafka { get; private set; }

    public bool Control { get; private set; }

    /// <summary>Time the console's pages over a seeded store (see <see cref="ConsolePagesBench"/>).</summary>
    public bool ConsolePages { get; private set; }

    public int ConsoleRuns { get; private set; } = 10_000;

    public int ConsoleSecrets { get; private set; } = 1_000;

    public int ConsoleSamples { get; private set; } = 20;

    public bool SwapVersions { get; private set; }

    /// <summary>The workflow versions of the plain and the secrets variant in a comparison.</summary>
    public (int Plain, int Secrets) ComparedVersions => SwapVersions
        ? (BenchWorkflow.SecretsVersion, BenchWorkflow.Version)
        : (BenchWorkflow.Version, BenchWorkflow.SecretsVersion);

    public int Rounds { get; private set; } = 3;

    public Uri? BaselineServer { get; private set; }

    public int? BaselinePid { get; private set; }

    public string? BaselineKeyId { get; private set; }

    public string? BaselineKeySecret { get; private set; }

    public bool SkipPeer { get; private set; }

    public int? ServerPid { get; private set; }

    public string? JsonPath { get; private set; }

    public bool CheckTargets { get; private set; }

    public int SecretHeaders { get; private set; }

    /// <summary>The workflow shape the load runs (see <see cref="BenchWorkflow.Shapes"/>).</summary>
    public string Shape { get; private set; } = "three-step";

    public string? Token { get; private set; }

    public string? KeyId { get; private set; }

    public string? KeySecret { get; private set; }

    public bool ShowHelp { get; private set; }

    public string Auth => Token is not null ? "token" : KeyId is not null ? "key" : "none";

    /// <summary>Parses "--name value" and "--name=value"; throws <see cref="ArgumentException"/> with a readable message.</summary>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var (name, inline) = Split(args[i]);
            string Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"{name} needs a value");
                }

                return args[++i];
            }

            switch (name)
            {
                case "--help" or "-h": options.ShowHelp = true; break;
                case "--server": options.Server = ParseServer(name, Value()); options.Servers = [options.Server]; break;
                case "--servers":
                    options.Servers = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(url => ParseServer(name, url))];
                    options.Server = options.Servers.Count > 0 ? options.Servers[0] : throw new ArgumentException("--servers needs at least one URL");
                    break;
                case "--server-pids":
                    options.ServerPids = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(pid => ParseInt(name, pid, 1, int.MaxValue))];
                    break;
                case "--postgres-pid": options.PostgresPid = ParseInt(name, Value(), 1, int.MaxValue); break;
                case "--cluster-targets": options.ClusterTargetsPath = Value(); break;
                case "--baseline-server": options.BaselineServer = ParseServer(name, Value()); break;
                case "--clients": options.Clients = ParseInt(name, Value(), 1, 10_000); break;
                case "--duration": options.DurationSeconds = ParseInt(name, Value(), 1, 3600); break;
                case "--warmup": options.WarmupSeconds = ParseInt(name, Value(), 0, 3600); break;
                case "--wait-seconds": options.WaitForSeconds = ParseInt(name, Value(), 1, 300); break;
                case "--peer-only": options.PeerOnly = true; break;
                case "--compare-secrets": options.CompareSecrets = ParseInt(name, Value(), 1, 64); break;
                case "--compare-node": options.CompareNode = true; break;
                case "--compare-kafka": options.CompareKafka = true; break;
                case "--control": options.Control = true; break;
                case "--console-pages": options.ConsolePages = true; break;
                case "--console-runs": options.ConsoleRuns = ParseInt(name, Value(), 1, 1_000_000); break;
                case "--console-secrets": options.ConsoleSecrets = ParseInt(name, Value(), 0, 100_000); break;
                case "--console-samples": options.ConsoleSamples = ParseInt(name, Value(), 1, 10_000); break;
                case "--swap-versions": options.SwapVersions = true; break;
                case "--rounds": options.Rounds = ParseInt(name, Value(), 1, 100); break;
                case "--skip-peer": options.SkipPeer = true; break;
                case "--server-pid": options.ServerPid = ParseInt(name, Value(), 1, int.MaxValue); break;
                case "--baseline-pid": options.BaselinePid = ParseInt(name, Value(), 1, int.MaxValue); break;
                case "--json": options.JsonPath = Value(); break;
                case "--check-targets": options.CheckTargets = true; break;
                case "--shape":
                    options.Shape = Value();
                    if (!BenchWorkflow.Shapes.Contains(options.Shape)) throw new ArgumentException($"--shape: '{options.Shape}' is not one of {string.Join(", ", BenchWorkflow.Shapes)}");
                    break;
                case "--secret-headers": options.SecretHeaders = ParseInt(name, Value(), 0, 64); break;
                case "--token": options.Token = Value(); break;
                case "--key-id": options.KeyId = Value(); break;
                case "--key-secret": options.KeySecret = Value(); break;
                case "--baseline-key-id": options.BaselineKeyId = Value(); break;
                case "--baseline-key-secret": options.BaselineKeySecret = Value(); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        options.Validate();
        return options;
    }

    private void Validate()
    {
        if (ShowHelp)
        {
            return;
        }

        if (PeerOnly && SkipPeer)
        {
            throw new ArgumentException("--peer-only and --skip-peer exclude each other");
        }

        if (!PeerOnly && Server is null && ClusterTargetsPath is null)
        {
            throw new ArgumentException("--server URL is required (or --servers, --cluster-targets, --peer-only)");
        }

        if (ClusterTargetsPath is not null && (Server is not null || ServerPids.Count > 0))
        {
            throw new ArgumentException("--cluster-targets names its servers and processes; it excludes --server(s) and --server-pids");
        }

        if (ServerPids.Count > 0 && ServerPids.Count != Servers.Count)
        {
            throw new ArgumentException($"--server-pids names {ServerPids.Count} processes for {Servers.Count} servers");
        }

        if (ServerPids.Distinct().Count() != ServerPids.Count)
        {
            throw new ArgumentException("--server-pids names one process twice: its CPU would count twice");
        }

        if (TimeSplit && (CompareSecrets > 0 || CompareNode || CompareKafka || BaselineServer is not null || ConsolePages || PeerOnly))
        {
            throw new ArgumentException("--server-pids and --cluster-targets measure the plain load; they exclude the comparisons, --console-pages and --peer-only");
        }

        if (Token is not null && (KeyId is not null || KeySecret is not null))
        {
            throw new ArgumentException("--token and --key-id/--key-secret exclude each other");
        }

        if ((KeyId is null) != (KeySecret is null))
        {
            throw new ArgumentException("--key-id and --key-secret go together");
        }

        if (BaselineServer is not null && (Auth == "none" || CompareSecrets > 0 || PeerOnly))
        {
            throw new ArgumentException("--baseline-server needs --token or --key-id/--key-secret, and excludes --compare-secrets and --peer-only");
        }

        if ((BaselineKeyId is null) != (BaselineKeySecret is null) || (BaselineKeyId is not null && BaselineServer is null))
        {
            throw new ArgumentException("--baseline-key-id and --baseline-key-secret go together, with --baseline-server");
        }

        if ((Control || SwapVersions) && CompareSecrets == 0)
        {
            throw new ArgumentException("--control and --swap-versions go with --compare-secrets");
        }

        foreach (var (option, pid) in ServerPids.Select(p => ("--server-pids", (int?)p)).Append(("--server-pid", ServerPid)).Append(("--baseline-pid", BaselinePid)).Append(("--postgres-pid", PostgresPid)))
        {
            if (pid is { } id && !File.Exists($"/proc/{id}/status"))
            {
                throw new ArgumentException($"{option} {id}: no such process");
            }
        }
    }

    private static (string Name, string? Inline) Split(string arg)
    {
        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && equals > 0
            ? (arg[..equals], arg[(equals + 1)..])
            : (arg, null);
    }

    private static Uri ParseServer(string name, string value)
    {
        if (!Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"{name} {value}: not an http(s) URL");
        }

        return uri;
    }

    private static int ParseInt(string name, string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            throw new ArgumentException($"{name} {value}: expected a whole number from {min} to {max}");
        }

        return number;
    }
}
